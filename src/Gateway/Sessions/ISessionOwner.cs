using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>What a session reports to: the listener that accepted it, or the outbound connections.</summary>
internal interface ISessionOwner
{
    /// <summary>The listener's id; null for outbound sessions.</summary>
    string? ListenerId { get; }

    /// <summary>For log lines: the listener's name, or <c>outbound</c>.</summary>
    string Name { get; }

    /// <summary>How its sessions' traffic is captured.</summary>
    Capture.CapturePolicy Capture { get; }

    void OnSessionOpened();

    void OnSessionClosed(Session session);

    void OnTraffic(Direction direction, int bytes);
}
