using Gateway.Faults;
using Gateway.Listeners;
using Gateway.Pipeline;

namespace Gateway.Cluster;

/// <summary>
/// What the cluster shares of a listener once it is bound: its rules (interception among them), its faults,
/// its decoder and its layout. Shared whole, last change wins; each node keeps its own hit counts.
/// </summary>
/// <param name="Rules">The rules in evaluation order, with their ids.</param>
/// <param name="Faults">The faults, with their ids.</param>
/// <param name="Decoder">The decoder with its Decode As rule; null: none.</param>
/// <param name="Layout">The Kaitai Struct layout; null: none.</param>
internal sealed record ListenerSettings(RuleSpec[] Rules, FaultInfo[] Faults, Decoding.DecoderChoice? Decoder, string? Layout)
{
    public static ListenerSettings Of(GatewayListener listener)
    {
        var policy = listener.Policy;
        return new(policy.Rules.Rules.Select(r => r.Spec).ToArray(), policy.Faults.ToArray(), listener.DecoderChoice, listener.Layout);
    }
}
