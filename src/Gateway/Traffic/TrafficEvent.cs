using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Traffic;

/// <summary>What the data plane tells its observers. Immutable: one instance is shared by all of them.</summary>
internal abstract record TrafficEvent;

/// <summary>
/// One chunk read from or written to a session's socket. <see cref="Data"/> holds the whole payload when
/// the session is captured in full; otherwise only its first bytes (what the hub shows), and
/// <see cref="Size"/> says how big it was.
/// </summary>
internal sealed record TrafficMessage(
    long Seq,
    long SessionId,
    string? ListenerId,
    Direction Direction,
    DateTimeOffset At,
    byte[] Data,
    IReadOnlyList<string>? Faults = null) : TrafficEvent
{
    /// <summary>The payload's real size; <see cref="Data"/> may hold only its first bytes.</summary>
    public int Size { get; init; } = Data.Length;

    /// <summary>How the session's listener captures it (set by the session that records the message).</summary>
    public Capture.CapturePolicy Capture { get; init; } = Gateway.Capture.CapturePolicy.Default;

    /// <summary>Ids of the listener rules that fired on it; null when none.</summary>
    public IReadOnlyList<string>? Rules { get; init; }

    /// <summary>Labels tag rules gave it; null when none.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>In a cluster, the node whose session it is; null for a gateway on its own.</summary>
    public string? Node { get; init; }

}

internal sealed record SessionOpened(SessionInfo Session) : TrafficEvent;

internal sealed record SessionClosed(SessionInfo Session) : TrafficEvent;

/// <summary>A message's one-line summary, made by its session's decoder off the data plane, after the message itself.</summary>
internal sealed record MessageDecoded(long Seq, long SessionId, string? ListenerId, string Summary) : TrafficEvent;

/// <summary>Something learned about an open session after it opened (its TLS handshakes).</summary>
internal sealed record SessionUpdated(SessionInfo Session) : TrafficEvent;

internal sealed record ListenerChanged(ListenerInfo Listener) : TrafficEvent;

internal sealed record MessageHeld(Intercept.HeldInfo Held) : TrafficEvent;

internal sealed record HeldReleased(Intercept.HeldReleasedInfo Released) : TrafficEvent;
