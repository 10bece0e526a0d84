using System.Text;
using Gateway.Capture;
using Gateway.Cluster;
using Gateway.Decoding;
using Gateway.Security;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Api;

internal static class DecodingEndpoints
{
    public static RouteGroupBuilder MapDecodingEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/sessions/{id:long}/messages/{seq:long}/decoded", (long id, long seq, string? decoder, string? decodeAs, MessageDecoding decoding, CancellationToken cancellationToken) =>
                decoding.DecodeAsync(id, seq, decoder, decodeAs, cancellationToken))
            .WithTags("Decoding")
            .WithSummary("A captured message as its protocol reads it: {decoder, summary, fields: [{name, display, offset, length, children}]}, offsets into the message. "
                + "The decoder is ?decoder= (GET /api/decoders), else the session's, else its listener's; ?decodeAs= gives wireshark a Decode As rule (tcp.port==1883,mqtt). "
                + "Bytes that do not decode end the tree with an error node. wireshark answers 501 when tshark is not installed.")
            .Produces<DecodedMessage>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);

        api.MapGet("/decoders", () => Decoders.Names)
            .WithTags("Decoding")
            .WithSummary("The decoders a listener or a session can choose (wireshark needs tshark; layout runs the listener's Kaitai Struct layout in the dashboard).");

        api.MapGet("/sessions/{id:long}/decoder", async (long id, SessionHistory history, DecoderChoices choices, IServiceProvider services, CancellationToken cancellationToken) =>
            {
                if (services.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id))
                {
                    return await cluster.DecoderAsync(id, set: false, null, null);
                }

                await history.GetSessionAsync(id, cancellationToken);
                return DecoderRequest.Of(choices.Of(id));
            })
            .WithTags("Decoding")
            .WithSummary("The decoder this session chose ({decoder, decodeAs}; decoder null when it uses its listener's).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("/sessions/{id:long}/decoder", async (long id, DecoderRequest request, SessionHistory history, DecoderChoices choices, IServiceProvider services, CancellationToken cancellationToken) =>
            {
                if (services.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id))
                {
                    if (!string.IsNullOrWhiteSpace(request.Decoder))
                    {
                        DecoderChoices.Validate(request.Decoder, request.DecodeAs); // a 400 here rather than from the owner
                    }

                    return await cluster.DecoderAsync(id, set: true, request.Decoder, request.DecodeAs);
                }

                await history.GetSessionAsync(id, cancellationToken); // 404 for a session that never was
                choices.Set(id, request.Decoder, request.DecodeAs);
                return DecoderRequest.Of(choices.Of(id));
            })
            .WithTags("Decoding")
            .WithSummary("Chooses the decoder for one session ({decoder: one of GET /api/decoders, null: its listener's; decodeAs: tshark's Decode As rule for wireshark}).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator);

        api.MapPut("/listeners/{id}/decoder", (string id, DecoderRequest request, SessionCommands commands, AuditLog audit, TrafficEventBus bus, HttpContext context) =>
            {
                var listener = commands.GetListener(id);
                var choice = string.IsNullOrWhiteSpace(request.Decoder) ? null : DecoderChoices.Validate(request.Decoder, request.DecodeAs);
                listener.ChooseDecoder(choice);
                audit.Record(Actors.Of(context), "listener.decoder", $"listener {listener.Id}", detail: choice is null ? "none" : $"{choice.Name} {choice.DecodeAs}".Trim());
                bus.Publish(new ListenerChanged(listener.Snapshot()));
                return DecoderRequest.Of(listener.DecoderChoice);
            })
            .WithTags("Decoding")
            .WithSummary("Chooses how a listener's messages are read from now on ({decoder: one of GET /api/decoders or null for none; decodeAs for wireshark}); sessions with their own choice keep it.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator)
            .SharedInCluster();

        api.MapGet("/listeners/{id}/layout", (string id, SessionCommands commands) =>
                commands.GetListener(id).Layout is { } layout
                    ? Results.Text(layout, "application/yaml", Encoding.UTF8)
                    : throw CommandException.NotFound($"Listener '{id}' has no layout: PUT /api/listeners/{id}/layout with the .ksy text."))
            .WithTags("Decoding")
            .WithSummary("The listener's Kaitai Struct layout (.ksy text) for decoder layout.")
            .Produces<string>(StatusCodes.Status200OK, "application/yaml")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("/listeners/{id}/layout", async (string id, HttpRequest request, SessionCommands commands, AuditLog audit, TrafficEventBus bus, CancellationToken cancellationToken) =>
            {
                var listener = commands.GetListener(id);
                var ksy = await ReadLayoutAsync(request, cancellationToken);
                if (Layouts.Problem(ksy) is { } problem)
                {
                    throw CommandException.BadInput(problem);
                }

                listener.Layout = ksy;
                audit.Record(Actors.Of(request.HttpContext), "listener.layout", $"listener {listener.Id}", detail: $"{Encoding.UTF8.GetByteCount(ksy)} bytes");
                bus.Publish(new ListenerChanged(listener.Snapshot()));
                return Results.Text(ksy, "application/yaml", Encoding.UTF8);
            })
            .WithTags("Decoding")
            .WithSummary("Gives the listener a Kaitai Struct layout: the body is the .ksy text (any text type; or JSON {\"layout\": \"…\"}). "
                + "The dashboard compiles it and decodes the listener's messages with it when the decoder is layout.")
            .Accepts<string>("application/yaml", "text/plain", "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator)
            .SharedInCluster();

        api.MapDelete("/listeners/{id}/layout", (string id, HttpContext context, SessionCommands commands, AuditLog audit, TrafficEventBus bus) =>
            {
                var listener = commands.GetListener(id);
                listener.Layout = null;
                audit.Record(Actors.Of(context), "listener.layout", $"listener {listener.Id}", detail: "removed");
                bus.Publish(new ListenerChanged(listener.Snapshot()));
                return TypedResults.NoContent();
            })
            .WithTags("Decoding")
            .WithSummary("Removes the listener's layout.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator)
            .SharedInCluster();
        return api;
    }

    /// <summary>The body as .ksy text: raw text, or JSON <c>{"layout": "…"}</c>; bounded like the layout itself.</summary>
    private static async Task<string> ReadLayoutAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var buffer = new char[Layouts.MaxBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await reader.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        if (read > Layouts.MaxBytes)
        {
            throw CommandException.TooLarge($"the layout is larger than {Layouts.MaxBytes / 1024} KiB.");
        }

        var text = new string(buffer, 0, read);
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return text;
        }

        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(text);
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && json.RootElement.TryGetProperty("layout", out var layout)
                && layout.ValueKind == System.Text.Json.JsonValueKind.String
                ? layout.GetString()!
                : throw CommandException.BadInput("a JSON body is {\"layout\": \"<.ksy text>\"}.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw CommandException.BadInput($"the body is not JSON: {ex.Message}");
        }
    }
}

/// <summary>A session's decoder (one of <c>GET /api/decoders</c>; null for its listener's) and, for <c>wireshark</c>, tshark's Decode As rule (<c>tcp.port==1883,mqtt</c>).</summary>
public sealed record DecoderRequest(string? Decoder, string? DecodeAs = null)
{
    internal static DecoderRequest Of(DecoderChoice? choice) => new(choice?.Name, choice?.DecodeAs);
}
