namespace Gateway.Pipeline;

/// <summary>A listener rule as the API shows it: as written, with its id, hit count and, when it was disabled for timing out, why.</summary>
public sealed record RuleInfo(
    string Id,
    string? Name,
    bool Enabled,
    string Direction,
    MatchSpec Match,
    ActionSpec Action,
    bool Continue,
    long Hits,
    string? DisabledReason)
{
    internal static RuleInfo Of(Rule rule) => new(
        rule.Id, rule.Spec.Name, rule.IsActive, rule.Direction?.ToString().ToLowerInvariant() ?? "both",
        rule.Spec.Match ?? new MatchSpec(), rule.Spec.Action!, rule.Continue, rule.State.Hits, rule.State.DisabledReason);
}
