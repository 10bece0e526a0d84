using System.Collections.Immutable;
using Gateway.Pipeline;

namespace Gateway.Listeners;

/// <summary>A listener's policy: one immutable snapshot its sessions read, replaced whole by rule and fault changes.</summary>
internal abstract partial class GatewayListener
{
    private readonly object _policyGate = new();
    private readonly Dictionary<string, RuleState> _ruleStates = new(StringComparer.Ordinal);
    private ListenerPolicy _policy;
    private int _nextRuleId;

    public ListenerPolicy Policy => Volatile.Read(ref _policy);

    /// <summary>Whether the listener forwards (a relay): rules that act on what is forwarded need one.</summary>
    public bool IsRelay => UpstreamTarget is not null;

    /// <summary>Replaces the policy with <paramref name="change"/> of the current one, atomically against other changes.</summary>
    public ListenerPolicy UpdatePolicy(Func<ListenerPolicy, ListenerPolicy> change)
    {
        lock (_policyGate)
        {
            var next = change(_policy);
            Volatile.Write(ref _policy, next);
            return next;
        }
    }

    /// <summary>
    /// Compiles <paramref name="specs"/> for this listener (a 400 naming the field for a bad one), giving ids
    /// to those without; a rule keeps its hit count across a change when its id stays.
    /// </summary>
    public RuleSet CompileRules(IReadOnlyList<RuleSpec>? specs, Func<string, string> key)
    {
        if (specs is null || specs.Count == 0)
        {
            return RuleSet.Empty;
        }

        lock (_policyGate)
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var rules = ImmutableArray.CreateBuilder<Rule>(specs.Count);
            for (var i = 0; i < specs.Count; i++)
            {
                var spec = specs[i];
                var id = string.IsNullOrWhiteSpace(spec.Id) ? NextRuleId(specs) : spec.Id.Trim();
                if (!ids.Add(id) || id.Length > 64)
                {
                    throw Sessions.CommandException.BadInput($"{key($"rules[{i}].id")}: '{id}' is {(id.Length > 64 ? "longer than 64 characters" : "used by another rule")}.");
                }

                var state = _ruleStates.TryGetValue(id, out var kept) ? kept : new RuleState();
                spec.Id = id;
                rules.Add(RuleCompiler.Compile(spec, id, Protocol, IsRelay, state, RegexTimeout, field => key($"rules[{i}].{field}")));
            }

            foreach (var rule in rules)
            {
                _ruleStates[rule.Id] = rule.State;
            }

            return new RuleSet(rules.ToImmutable());
        }
    }

    public void OnRuleDisabled(Rule rule, string reason) => ListenerLog.RuleDisabled(Logger, Name, rule.Id, reason);

    private TimeSpan RegexTimeout => TimeSpan.FromMilliseconds(Plane.Options.Rules.RegexTimeoutMs);

    private string NextRuleId(IReadOnlyList<RuleSpec> specs)
    {
        string id;
        do
        {
            id = $"r{++_nextRuleId}";
        }
        while (_ruleStates.ContainsKey(id) || specs.Any(s => s.Id == id));

        return id;
    }
}
