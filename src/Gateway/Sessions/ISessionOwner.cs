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

    /// <summary>What it imposes on its sessions now: framing, capture, rules, faults (replaced whole on a change).</summary>
    Pipeline.ListenerPolicy Policy { get; }

    /// <summary>A rule stopped firing because its regex timed out: say so where the owner logs.</summary>
    void OnRuleDisabled(Pipeline.Rule rule, string reason);

    void OnSessionOpened();

    void OnSessionClosed(Session session);

    void OnTraffic(Direction direction, int bytes);
}
