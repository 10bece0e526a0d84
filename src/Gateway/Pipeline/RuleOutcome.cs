using Gateway.Faults;

namespace Gateway.Pipeline;

/// <summary>What the rules decided for one message: the data plane carries it out in its own order.</summary>
internal sealed class RuleOutcome
{
    /// <summary>Ids of the rules that fired, in order.</summary>
    public List<string> Fired { get; } = [];

    public List<string>? Tags { get; private set; }

    public List<RuleReply>? Replies { get; private set; }

    public List<FaultInfo>? Faults { get; private set; }

    /// <summary>The message as rewritten by replace rules; null when unchanged.</summary>
    public byte[]? Replaced { get; set; }

    /// <summary>Not to be forwarded (drop, or a reply standing in for the other side).</summary>
    public bool Drop { get; set; }

    /// <summary>Held for a decision (interception).</summary>
    public bool Hold { get; set; }

    /// <summary>Close the session after this message: null, or whether to reset.</summary>
    public bool? Close { get; set; }

    public void Tag(string name) => (Tags ??= []).Add(name);

    public void Reply(RuleReply reply) => (Replies ??= []).Add(reply);

    public void Fault(FaultInfo fault) => (Faults ??= []).Add(fault);
}

/// <summary>An answer to the message's sender, after <see cref="Delay"/>.</summary>
internal sealed record RuleReply(byte[] Payload, TimeSpan Delay);
