using System.Text.RegularExpressions;
using Gateway.Faults;
using Gateway.Traffic;

namespace Gateway.Pipeline;

/// <summary>A compiled rule: immutable, except its <see cref="State"/> (hits, and a reason when it was disabled for timing out).</summary>
internal sealed class Rule
{
    public required RuleSpec Spec { get; init; }

    public required string Id { get; init; }

    public Direction? Direction { get; init; }

    public byte[]? Text { get; init; }

    public byte[]? Hex { get; init; }

    public byte[]? Prefix { get; init; }

    public Regex? Regex { get; init; }

    public required RuleAction Action { get; init; }

    public required RuleState State { get; init; }

    public bool Continue => Spec.Continue;

    public bool IsActive => Spec.Enabled && State.DisabledReason is null;

    /// <summary>Whether the message matches; the regex's match (for reply groups) when there is one.</summary>
    public bool Matches(Direction direction, ReadOnlySpan<byte> payload, ref string? latin1, out Match? match)
    {
        match = null;
        if (Direction is { } only && only != direction)
        {
            return false;
        }

        if ((Prefix is not null && !payload.StartsWith(Prefix)) || (Text is not null && payload.IndexOf(Text) < 0) || (Hex is not null && payload.IndexOf(Hex) < 0))
        {
            return false;
        }

        if (Regex is null)
        {
            return true;
        }

        latin1 ??= System.Text.Encoding.Latin1.GetString(payload);
        match = Regex.Match(latin1);
        return match.Success;
    }
}

/// <summary>What survives a rule's replacement by a new list with the same id: its hit count, and why it was disabled.</summary>
internal sealed class RuleState
{
    private long _hits;
    private volatile string? _disabledReason;

    public long Hits => Interlocked.Read(ref _hits);

    public string? DisabledReason => _disabledReason;

    public void Hit() => Interlocked.Increment(ref _hits);

    public void Disable(string reason) => _disabledReason = reason;
}

/// <summary>A compiled action.</summary>
internal abstract record RuleAction(string Type);

internal sealed record ReplyAction(ReplyTemplate Template, TimeSpan Delay, bool Forward) : RuleAction("reply");

internal sealed record ReplaceAction(Regex? Pattern, string? RegexWith, byte[]? Hex, byte[]? HexWith) : RuleAction("replace");

internal sealed record DropAction() : RuleAction("drop");

internal sealed record HoldAction() : RuleAction("hold");

internal sealed record FaultAction(FaultInfo Fault) : RuleAction("fault");

internal sealed record CloseAction(bool Abort) : RuleAction("close");

internal sealed record TagAction(string Name) : RuleAction("tag");
