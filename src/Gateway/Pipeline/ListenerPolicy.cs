using System.Collections.Immutable;
using Gateway.Capture;
using Gateway.Faults;
using Gateway.Framing;

namespace Gateway.Pipeline;

/// <summary>
/// What a listener imposes on its sessions, as one immutable snapshot: framing and capture (read once,
/// when a session opens), rules and faults (read for every message, so changes reach open sessions). A
/// change replaces the whole snapshot; sessions never look at their listener for it.
/// </summary>
internal sealed record ListenerPolicy(FrameFormat Format, CapturePolicy Capture, RuleSet Rules, ImmutableArray<FaultInfo> Faults)
{
    /// <summary>The gateway's own outbound sessions: raw unless the connection asks otherwise, default capture, no rules or faults.</summary>
    public static readonly ListenerPolicy Outbound = new(FrameFormat.Raw, CapturePolicy.Default, RuleSet.Empty, []);

    /// <summary>Whether a direction's messages need more than recording and writing: rules, or a fault for it.</summary>
    public bool Acts(Traffic.Direction direction)
    {
        if (!Rules.IsEmpty)
        {
            return true;
        }

        foreach (var fault in Faults) // asked for every read of a relay: no closure, no enumerator
        {
            if (fault.AppliesTo(direction))
            {
                return true;
            }
        }

        return false;
    }
}
