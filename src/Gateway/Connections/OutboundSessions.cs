using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Connections;

/// <summary>The owner of sessions the gateway opened itself (<c>kind: outbound</c>); they belong to no listener.</summary>
internal sealed class OutboundSessions(DataPlane plane) : ISessionOwner
{
    /// <summary>An outbound session's one socket.</summary>
    public const int DescriptorsPerSession = 1;

    private int _open;

    public string? ListenerId => null;

    public string Name => "outbound";

    public Capture.CapturePolicy Capture => Gateway.Capture.CapturePolicy.Default;

    public Pipeline.ListenerPolicy Policy => Pipeline.ListenerPolicy.Outbound;

    public void OnRuleDisabled(Pipeline.Rule rule, string reason)
    {
        // Outbound sessions have no rules.
    }

    public int Open => Volatile.Read(ref _open);

    public void OnSessionOpened() => Interlocked.Increment(ref _open);

    public void OnSessionClosed(Session session)
    {
        Interlocked.Decrement(ref _open);
        plane.Descriptors.Release(DescriptorsPerSession); // reserved by the connector before it dialled
    }

    public void OnTraffic(Direction direction, int bytes)
    {
        // Totals are kept per session and gateway-wide; outbound sessions have no listener to count them.
    }
}
