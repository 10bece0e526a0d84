using Gateway.Capture;
using Gateway.Configuration;
using Gateway.Decoding.Wireshark;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace Gateway.Decoding;

/// <summary>
/// One captured message as its protocol reads it, for the API and the hub: the decoder asked for, else the
/// session's, else its listener's; built-ins read it here (after the session's first message, for those that
/// learn from it), <c>wireshark</c> dissects it with the messages around it, <c>layout</c> is the dashboard's.
/// </summary>
internal sealed class MessageDecoding(SessionHistory history, DecoderChoices choices, WiresharkDissector wireshark, IOptions<GatewayOptions> options)
{
    public async Task<DecodedMessage> DecodeAsync(long sessionId, long seq, string? decoder, string? decodeAs, CancellationToken cancellationToken)
    {
        var session = await history.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var found = await history.FindAsync(new MessageQuery { SessionId = sessionId, AfterSeq = seq - 1, Limit = 1 }, cancellationToken).ConfigureAwait(false);
        if (found is not [{ } message] || message.Seq != seq)
        {
            throw CommandException.NotFound($"Session {sessionId} has no captured message {seq}.");
        }

        var chosen = choices.Choose(session, decoder, decodeAs);
        if (chosen.Name == Decoders.Wireshark)
        {
            // The session's first messages (how it began) and those just before this one, as one capture for tshark.
            wireshark.RequireTshark();
            var opening = await history.FindAsync(new MessageQuery { SessionId = sessionId, BeforeSeq = seq, Limit = WiresharkDissector.OpeningMessages }, cancellationToken).ConfigureAwait(false);
            var recent = await history.FindAsync(new MessageQuery { SessionId = sessionId, BeforeSeq = seq + 1, Descending = true, Limit = options.Value.Decoding.WiresharkWindow }, cancellationToken)
                .ConfigureAwait(false);
            var messages = opening.Concat(recent).DistinctBy(m => m.Seq).OrderBy(m => m.Seq).ToArray();
            return (await wireshark.DissectAsync(session, messages, chosen.DecodeAs, cancellationToken).ConfigureAwait(false))[seq];
        }

        if (chosen.BuiltIn is not { } builtIn)
        {
            throw CommandException.BadInput($"decoder '{chosen.Name}' runs in the dashboard (the listener's Kaitai Struct layout: GET /api/listeners/{{id}}/layout); "
                + $"ask here for one of {string.Join(", ", Decoders.Names.Where(n => n != Decoders.Layout))}.");
        }

        // What the session's start taught the decoder (MQTT's protocol level, from the CONNECT; what auto recognised): read it first.
        var context = new DecodeContext { Ports = new[] { session.Local, session.Upstream, session.Remote }.Select(PortOf).Where(p => p > 0).ToArray() };
        if (builtIn.UsesContext
            && await history.FindAsync(new MessageQuery { SessionId = sessionId, Direction = Direction.In, Limit = 1 }, cancellationToken).ConfigureAwait(false) is [{ } first]
            && first.Seq != seq)
        {
            Decoders.Decode(builtIn, first.Data.Span, first.Direction, context);
        }

        return Decoders.Decode(builtIn, message.Data.Span, message.Direction, context);
    }

    /// <summary>The port of <c>host:port</c> (0 for none: a unix path, an absent upstream).</summary>
    private static int PortOf(string? endpoint) =>
        endpoint is not null && endpoint.LastIndexOf(':') is var colon and > 0 && int.TryParse(endpoint.AsSpan(colon + 1), out var port) ? port : 0;
}
