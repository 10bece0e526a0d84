namespace Gateway.Traffic;

/// <summary>A message as the API and the hub show it.</summary>
/// <param name="Seq">Gateway-wide, strictly increasing sequence number.</param>
/// <param name="SessionId">The session it belongs to.</param>
/// <param name="ListenerId">The listener of that session; null for outbound sessions.</param>
/// <param name="Direction"><c>in</c> (from the peer) or <c>out</c> (to the peer).</param>
/// <param name="At">UTC time it was read or written.</param>
/// <param name="Size">Full payload size in bytes.</param>
/// <param name="Data">Payload, base64; cut to a preview when <paramref name="Truncated"/>.</param>
/// <param name="Truncated">True when <paramref name="Data"/> holds only the first bytes of the payload.</param>
/// <param name="Faults">Relay faults applied to this message (e.g. <c>["latency"]</c>); null when none.</param>
/// <param name="Rules">Ids of the listener rules that fired on it (e.g. <c>["r1"]</c>); null when none.</param>
/// <param name="Tags">Labels given by tag rules; null when none.</param>
/// <param name="Summary">Its decoder's one-line summary (stored messages of sessions with a decoder); null when none.</param>
/// <param name="Annotations">What a person marked on it; null when nothing.</param>
/// <param name="Node">In a cluster, the node that owns its session; null otherwise.</param>
public sealed record MessageInfo(
    long Seq,
    long SessionId,
    string? ListenerId,
    Direction Direction,
    DateTimeOffset At,
    int Size,
    ReadOnlyMemory<byte> Data,
    bool Truncated,
    IReadOnlyList<string>? Faults = null,
    IReadOnlyList<string>? Rules = null,
    IReadOnlyList<string>? Tags = null,
    string? Summary = null,
    Capture.Annotations? Annotations = null,
    string? Node = null)
{
    internal static MessageInfo From(TrafficMessage message, int maxBytes = int.MaxValue)
    {
        var kept = Math.Min(message.Data.Length, maxBytes);
        var truncated = message.Size > kept;
        var data = message.Data.AsMemory(0, kept);
        return new MessageInfo(message.Seq, message.SessionId, message.ListenerId, message.Direction, message.At,
            message.Size, data, truncated, message.Faults, message.Rules, message.Tags, Node: message.Node);
    }
}
