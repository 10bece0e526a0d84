using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Gateway.Traffic;

namespace Gateway.Pipeline;

/// <summary>A listener's rules, in order: immutable; a change replaces the whole set.</summary>
internal sealed class RuleSet(ImmutableArray<Rule> rules)
{
    public static readonly RuleSet Empty = new([]);

    public ImmutableArray<Rule> Rules { get; } = rules;

    public bool IsEmpty => Rules.IsEmpty;

    /// <summary>
    /// Runs the rules over one message: each active rule of its direction whose match holds fires (its hit
    /// counted) and adds its action to the outcome; unless it says <c>continue</c>, evaluation stops there.
    /// A replace rewrites the message for the rules after it. Null when no rule fired. A regex that runs
    /// past its timeout disables its rule (<paramref name="disabled"/> is told why) instead of stalling.
    /// </summary>
    public RuleOutcome? Evaluate(Direction direction, ReadOnlySpan<byte> payload, Action<Rule, string>? disabled = null)
    {
        if (Rules.IsEmpty)
        {
            return null;
        }

        RuleOutcome? outcome = null;
        string? latin1 = null;
        foreach (var rule in Rules)
        {
            if (!rule.IsActive)
            {
                continue;
            }

            Match? match;
            var current = outcome?.Replaced is { } replaced ? replaced : payload;
            try
            {
                if (!rule.Matches(direction, current, ref latin1, out match))
                {
                    continue;
                }
            }
            catch (RegexMatchTimeoutException ex)
            {
                var why = $"its regex ran past {ex.MatchTimeout.TotalMilliseconds} ms on a message of {current.Length} bytes";
                rule.State.Disable(why);
                disabled?.Invoke(rule, why);
                continue;
            }

            rule.State.Hit();
            outcome ??= new RuleOutcome();
            outcome.Fired.Add(rule.Id);
            Apply(rule.Action, outcome, current, match, ref latin1);
            if (!rule.Continue)
            {
                break;
            }
        }

        return outcome;
    }

    private static void Apply(RuleAction action, RuleOutcome outcome, ReadOnlySpan<byte> current, Match? match, ref string? latin1)
    {
        switch (action)
        {
            case ReplyAction reply:
                outcome.Reply(new RuleReply(reply.Template.Render(match), reply.Delay));
                outcome.Drop |= !reply.Forward;
                break;
            case ReplaceAction replace:
                outcome.Replaced = Replace(replace, current, ref latin1);
                break;
            case DropAction:
                outcome.Drop = true;
                break;
            case HoldAction:
                outcome.Hold = true;
                break;
            case FaultAction fault:
                outcome.Fault(fault.Fault);
                break;
            case CloseAction close:
                outcome.Close = close.Abort || (outcome.Close ?? false);
                break;
            case TagAction tag:
                outcome.Tag(tag.Name);
                break;
        }
    }

    private static byte[] Replace(ReplaceAction replace, ReadOnlySpan<byte> current, ref string? latin1)
    {
        if (replace.Pattern is { } regex)
        {
            latin1 ??= System.Text.Encoding.Latin1.GetString(current);
            latin1 = regex.Replace(latin1, replace.RegexWith!);
            return System.Text.Encoding.Latin1.GetBytes(latin1);
        }

        var output = new List<byte>(current.Length);
        var pattern = replace.Hex!;
        var rest = current;
        while (rest.IndexOf(pattern) is var at && at >= 0)
        {
            output.AddRange(rest[..at]);
            output.AddRange(replace.HexWith!);
            rest = rest[(at + pattern.Length)..];
        }

        output.AddRange(rest);
        latin1 = null; // the text view is of the old bytes
        return [.. output];
    }
}
