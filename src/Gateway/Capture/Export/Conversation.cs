using System.Net;
using System.Net.Sockets;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Capture.Export;

/// <summary>
/// One session as packets: for TCP and Unix a three-way handshake at open, a segment per message with
/// sequence and acknowledgement numbers that follow the byte counts, and a FIN exchange at close; for UDP
/// a datagram per message. The side that connected is the TCP client: the peer for accepted sessions,
/// the gateway for outbound ones. Unix sessions are shown as TCP between two loopback addresses.
/// </summary>
internal sealed class Conversation
{
    private const uint InitiatorIsn = 1_000;
    private const uint ResponderIsn = 500_000;

    private readonly SessionInfo _session;
    private readonly IPEndPoint _initiator;
    private readonly IPEndPoint _responder;
    private readonly bool _stream;
    private readonly int _maxSegment;
    private uint _initiatorNext = InitiatorIsn + 1;
    private uint _responderNext = ResponderIsn + 1;
    private string? _comment;

    private Conversation(SessionInfo session, IPEndPoint initiator, IPEndPoint responder, string comment)
    {
        _session = session;
        _initiator = initiator;
        _responder = responder;
        _stream = session.Protocol != ListenerProtocol.Udp;
        _maxSegment = Packets.MaxTcpPayload(initiator.AddressFamily);
        _comment = comment;
    }

    public bool Opened { get; private set; }

    public bool Closed { get; private set; }

    public SessionInfo Session => _session;

    public static Conversation For(SessionInfo session)
    {
        var comment = $"session {session.Id}: {session.Kind.ToString().ToLowerInvariant()} {session.Protocol.ToString().ToLowerInvariant()}"
            + (session.ListenerId is null ? "" : $" on listener {session.ListenerId}")
            + $", remote {session.Remote}, local {session.Local}"
            + (session.Upstream is null ? "" : $", relayed to {session.Upstream}")
            + (session.Tls is not null ? ", TLS (decrypted bytes shown)" : "")
            + (session.Annotations is { } marks ? "; " + Describe(marks) : "");
        IPEndPoint remote;
        IPEndPoint local;
        if (session.Protocol == ListenerProtocol.Unix || !TryParse(session.Remote, out remote!) || !TryParse(session.Local, out local!))
        {
            // No IP endpoints: a loopback pair that stays apart per session.
            remote = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 1024 + (int)(session.Id % 60_000));
            local = new IPEndPoint(IPAddress.Loopback, 65_000);
            comment += session.Protocol == ListenerProtocol.Unix ? "; unix socket session shown as TCP over 127.0.0.2 -> 127.0.0.1" : "; addresses are stand-ins";
        }
        else if (remote.AddressFamily != local.AddressFamily)
        {
            remote = new IPEndPoint(remote.Address.MapToIPv6(), remote.Port);
            local = new IPEndPoint(local.Address.MapToIPv6(), local.Port);
        }

        return session.Kind == SessionKind.Outbound
            ? new Conversation(session, local, remote, comment)
            : new Conversation(session, remote, local, comment);
    }

    public async Task OpenAsync(PcapngWriter writer, CancellationToken cancellationToken)
    {
        Opened = true;
        if (!_stream)
        {
            return;
        }

        var at = _session.OpenedAt;
        await WriteAsync(writer, at, Packets.Tcp(_initiator, _responder, InitiatorIsn, 0, Packets.Syn, [], 0), cancellationToken).ConfigureAwait(false);
        await WriteAsync(writer, at, Packets.Tcp(_responder, _initiator, ResponderIsn, _initiatorNext, Packets.Syn | Packets.Ack, [], 0), cancellationToken).ConfigureAwait(false);
        await WriteAsync(writer, at, Packets.Tcp(_initiator, _responder, _initiatorNext, _responderNext, Packets.Ack, [], 0), cancellationToken).ConfigureAwait(false);
    }

    public async Task MessageAsync(PcapngWriter writer, MessageInfo message, CancellationToken cancellationToken)
    {
        // "in" came from the remote end: the client of an accepted session, the server of an outbound one.
        var fromInitiator = (message.Direction == Direction.In) == (_session.Kind != SessionKind.Outbound);
        var (from, to) = fromInitiator ? (_initiator, _responder) : (_responder, _initiator);
        var kept = !message.Truncated;
        var data = message.Data;
        if (Note(message) is { } note)
        {
            // The message's first packet carries its tags, rules and faults as a packet comment (frame.comment in Wireshark).
            _comment = _comment is null ? note : $"{_comment}; {note}";
        }

        if (!_stream)
        {
            await WriteAsync(writer, message.At, Packets.Udp(from, to, data.Span, message.Size), cancellationToken).ConfigureAwait(false);
            return;
        }

        for (var offset = 0; offset < message.Size || (offset == 0 && message.Size == 0); offset += _maxSegment)
        {
            var length = Math.Min(_maxSegment, message.Size - offset);
            var slice = kept ? data.Span.Slice(offset, length) : [];
            var seq = fromInitiator ? _initiatorNext : _responderNext;
            var ack = fromInitiator ? _responderNext : _initiatorNext;
            await WriteAsync(writer, message.At, Packets.Tcp(from, to, seq, ack, Packets.Psh | Packets.Ack, slice, length), cancellationToken).ConfigureAwait(false);
            if (fromInitiator)
            {
                _initiatorNext += (uint)length;
            }
            else
            {
                _responderNext += (uint)length;
            }

            if (message.Size == 0)
            {
                break;
            }
        }
    }

    public async Task CloseAsync(PcapngWriter writer, CancellationToken cancellationToken)
    {
        Closed = true;
        if (!_stream || _session.ClosedAt is not { } at)
        {
            return;
        }

        await WriteAsync(writer, at, Packets.Tcp(_initiator, _responder, _initiatorNext, _responderNext, Packets.Fin | Packets.Ack, [], 0), cancellationToken).ConfigureAwait(false);
        _initiatorNext++;
        await WriteAsync(writer, at, Packets.Tcp(_responder, _initiator, _responderNext, _initiatorNext, Packets.Fin | Packets.Ack, [], 0), cancellationToken).ConfigureAwait(false);
        _responderNext++;
        await WriteAsync(writer, at, Packets.Tcp(_initiator, _responder, _initiatorNext, _responderNext, Packets.Ack, [], 0), cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAsync(PcapngWriter writer, DateTimeOffset at, (byte[] Packet, int OriginalLength) packet, CancellationToken cancellationToken)
    {
        var comment = _comment;
        _comment = null;
        await writer.WritePacketAsync(at, packet.Packet, packet.OriginalLength, comment, cancellationToken).ConfigureAwait(false);
    }

    private static string? Note(MessageInfo message)
    {
        var parts = new List<string>(3);
        if (message.Tags is { Count: > 0 } tags)
        {
            parts.Add($"tags: {string.Join(", ", tags)}");
        }

        if (message.Rules is { Count: > 0 } rules)
        {
            parts.Add($"rules: {string.Join(", ", rules)}");
        }

        if (message.Faults is { Count: > 0 } faults)
        {
            parts.Add($"faults: {string.Join(", ", faults)}");
        }

        if (message.Annotations is { } marks)
        {
            parts.Add(Describe(marks));
        }

        return parts.Count == 0 ? null : $"message {message.Seq}: {string.Join("; ", parts)}";
    }

    /// <summary>What a person marked, for a packet comment: <c>starred; marked: a, b; note: …</c>.</summary>
    private static string Describe(Annotations marks) =>
        string.Join("; ", new[]
        {
            marks.Starred ? "starred" : null,
            marks.Tags.Count > 0 ? $"marked: {string.Join(", ", marks.Tags)}" : null,
            marks.Note is { } note ? $"note: {note}" : null,
        }.Where(p => p is not null));

    private static bool TryParse(string text, out IPEndPoint endpoint) => IPEndPoint.TryParse(text, out endpoint!) && endpoint.Port != 0;
}
