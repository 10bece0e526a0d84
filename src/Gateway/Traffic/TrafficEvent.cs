using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Traffic;

/// <summary>What the data plane tells its observers. Immutable: one instance is shared by all of them.</summary>
internal abstract record TrafficEvent;

/// <summary>One chunk read from or written to a session's socket.</summary>
internal sealed record TrafficMessage(
    long Seq,
    long SessionId,
    string? ListenerId,
    Direction Direction,
    DateTimeOffset At,
    byte[] Data,
    IReadOnlyList<string>? Faults = null) : TrafficEvent
{
    /// <summary>How the session's listener captures it (set by the session that records the message).</summary>
    public Capture.CapturePolicy Capture { get; init; } = Gateway.Capture.CapturePolicy.Default;

    public int Size => Data.Length;
}

internal sealed record SessionOpened(SessionInfo Session) : TrafficEvent;

internal sealed record SessionClosed(SessionInfo Session) : TrafficEvent;

internal sealed record ListenerChanged(ListenerInfo Listener) : TrafficEvent;

internal sealed record MessageHeld(Intercept.HeldInfo Held) : TrafficEvent;

internal sealed record HeldReleased(Intercept.HeldReleasedInfo Released) : TrafficEvent;
