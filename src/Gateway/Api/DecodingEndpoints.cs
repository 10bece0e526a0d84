using Gateway.Capture;
using Gateway.Decoding;
using Gateway.Security;
using Gateway.Sessions;

namespace Gateway.Api;

internal static class DecodingEndpoints
{
    public static RouteGroupBuilder MapDecodingEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/sessions/{id:long}/messages/{seq:long}/decoded", async (long id, long seq, string? decoder, SessionHistory history, DecoderChoices choices,
                CancellationToken cancellationToken) =>
            {
                var session = await history.GetSessionAsync(id, cancellationToken);
                var found = await history.FindAsync(new MessageQuery { SessionId = id, AfterSeq = seq - 1, Limit = 1 }, cancellationToken);
                if (found is not [{ } message] || message.Seq != seq)
                {
                    throw CommandException.NotFound($"Session {id} has no captured message {seq}.");
                }

                // What the session's start taught the decoder (MQTT's protocol level, from the CONNECT): read it first.
                var chosen = choices.Choose(session, decoder);
                var context = new DecodeContext();
                if (chosen.UsesContext
                    && await history.FindAsync(new MessageQuery { SessionId = id, Direction = Traffic.Direction.In, Limit = 1 }, cancellationToken) is [{ } opening]
                    && opening.Seq != seq)
                {
                    Decoders.Decode(chosen, opening.Data.Span, opening.Direction, context);
                }

                return Decoders.Decode(chosen, message.Data.Span, message.Direction, context);
            })
            .WithTags("Decoding")
            .WithSummary("A captured message as its protocol reads it: {decoder, summary, fields: [{name, display, offset, length, children}]}, offsets into the message. "
                + "The decoder is ?decoder= (http, resp, mqtt, modbus, dns, json), else the session's, else its listener's. Bytes that do not decode end the tree with an error node.")
            .Produces<DecodedMessage>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/decoders", () => Decoders.Names.Order(StringComparer.Ordinal).ToArray())
            .WithTags("Decoding")
            .WithSummary("The decoders a listener or a session can choose.");

        api.MapGet("/sessions/{id:long}/decoder", async (long id, SessionHistory history, DecoderChoices choices, CancellationToken cancellationToken) =>
            {
                await history.GetSessionAsync(id, cancellationToken);
                return new DecoderRequest(choices.Of(id));
            })
            .WithTags("Decoding")
            .WithSummary("The decoder this session chose ({decoder}; null when it uses its listener's).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("/sessions/{id:long}/decoder", async (long id, DecoderRequest request, SessionHistory history, DecoderChoices choices, CancellationToken cancellationToken) =>
            {
                await history.GetSessionAsync(id, cancellationToken); // 404 for a session that never was
                choices.Set(id, request.Decoder);
                return new DecoderRequest(choices.Of(id));
            })
            .WithTags("Decoding")
            .WithSummary("Chooses the decoder for one session ({decoder}: http, resp, mqtt, modbus, dns, json; null: its listener's).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator);
        return api;
    }
}

/// <summary>A session's decoder: <c>http</c>, <c>resp</c>, <c>mqtt</c>, <c>modbus</c>, <c>dns</c>, <c>json</c>; null for its listener's.</summary>
public sealed record DecoderRequest(string? Decoder);
