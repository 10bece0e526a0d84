using System.Collections.Immutable;
using Gateway.Listeners;
using Gateway.Security;
using Gateway.Sessions;

namespace Gateway.Pipeline;

/// <summary>
/// Listing and changing a listener's rules. A change compiles the whole new list first (a 400 names the bad
/// field) and then replaces the listener's policy at once, so open sessions see the old rules or the new
/// ones, never a mix. Every change is audited.
/// </summary>
internal sealed class RuleCommands(ListenerManager listeners, DataPlane plane, AuditLog audit)
{
    private readonly object _gate = new();

    public IReadOnlyList<RuleInfo> List(string listenerId) => Listener(listenerId).Policy.Rules.Rules.Select(RuleInfo.Of).ToArray();

    public RuleInfo Add(string listenerId, RuleSpec spec, Actor actor)
    {
        var listener = Listener(listenerId);
        RuleSet rules;
        lock (_gate)
        {
            var specs = Specs(listener).Append(Copy(spec)).ToList();
            rules = Replace(listener, specs, specs.Count - 1);
        }

        var added = rules.Rules[^1];
        audit.Record(actor, "rule.add", $"listener {listener.Id}", detail: $"{added.Id}: {added.Action.Type}");
        return RuleInfo.Of(added);
    }

    public IReadOnlyList<RuleInfo> ReplaceAll(string listenerId, IReadOnlyList<RuleSpec> specs, Actor actor)
    {
        var listener = Listener(listenerId);
        RuleSet rules;
        lock (_gate)
        {
            rules = Replace(listener, specs.Select(Copy).ToList(), null);
        }

        audit.Record(actor, "rule.replace", $"listener {listener.Id}", detail: $"{rules.Rules.Length} rules: {string.Join(", ", rules.Rules.Select(r => r.Id))}");
        return rules.Rules.Select(RuleInfo.Of).ToArray();
    }

    public void Remove(string listenerId, string ruleId, Actor actor)
    {
        var listener = Listener(listenerId);
        lock (_gate)
        {
            var specs = Specs(listener).ToList();
            if (specs.RemoveAll(s => s.Id == ruleId) == 0)
            {
                throw CommandException.NotFound($"Listener '{listenerId}' has no rule '{ruleId}'.");
            }

            Replace(listener, specs, null);
        }

        audit.Record(actor, "rule.remove", $"listener {listener.Id}", detail: ruleId);
    }

    /// <summary>The rule with this id, or null.</summary>
    public Rule? Find(string listenerId, string ruleId) =>
        Listener(listenerId).Policy.Rules.Rules.FirstOrDefault(r => r.Id == ruleId);

    /// <summary>Puts <paramref name="spec"/> first in place of the rule with its id (or removes that rule when null); for shortcuts such as interception.</summary>
    public void Upsert(GatewayListener listener, string id, RuleSpec? spec)
    {
        lock (_gate)
        {
            var specs = Specs(listener).Where(s => s.Id != id).ToList();
            if (spec is not null)
            {
                spec.Id = id;
                specs.Insert(0, spec);
            }

            Replace(listener, specs, spec is null ? null : 0);
        }
    }

    public GatewayListener Listener(string listenerId) =>
        listeners.Find(listenerId) ?? throw CommandException.NotFound($"Listener '{listenerId}' does not exist.");

    private RuleSet Replace(GatewayListener listener, List<RuleSpec> specs, int? changed)
    {
        var max = plane.Options.Rules.MaxPerListener;
        if (specs.Count > max)
        {
            throw CommandException.Conflict($"Listener '{listener.Id}' would have {specs.Count} rules, more than Gateway:Rules:MaxPerListener ({max}).");
        }

        // Field names as the client wrote them: the one rule of a POST, or the list of a PUT.
        var rules = listener.CompileRules(specs, field => changed is { } index ? field.Replace($"rules[{index}].", "", StringComparison.Ordinal) : field);
        listener.UpdatePolicy(p => p with { Rules = rules });
        if (!rules.Rules.Any(r => r.Action is HoldAction))
        {
            plane.Held.ReleaseAll(listener.Id); // nothing holds any more: what was held goes on
        }

        return rules;
    }

    private static IEnumerable<RuleSpec> Specs(GatewayListener listener) => listener.Policy.Rules.Rules.Select(r => Copy(r.Spec));

    /// <summary>Rules keep their own copy of what was written: the caller's object (or the previous rule's) is never changed later.</summary>
    private static RuleSpec Copy(RuleSpec spec) => new()
    {
        Id = spec.Id, Name = spec.Name, Enabled = spec.Enabled, Direction = spec.Direction, Continue = spec.Continue,
        Match = spec.Match is { } m ? new MatchSpec { Text = m.Text, Hex = m.Hex, Regex = m.Regex, PrefixHex = m.PrefixHex } : null,
        Action = spec.Action is { } a ? new ActionSpec
        {
            Type = a.Type, Data = a.Data, Encoding = a.Encoding, DelayMs = a.DelayMs, Forward = a.Forward, Regex = a.Regex, Hex = a.Hex,
            With = a.With, Fault = a.Fault, Abort = a.Abort, Name = a.Name,
        } : null,
    };
}
