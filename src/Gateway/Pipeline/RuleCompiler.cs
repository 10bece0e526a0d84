using System.Text.RegularExpressions;
using Gateway.Faults;
using Gateway.Listeners;
using Gateway.Traffic;

namespace Gateway.Pipeline;

/// <summary>Turns a <see cref="RuleSpec"/> into a <see cref="Rule"/> for a listener of a given kind, or says what is wrong, naming the field.</summary>
internal static class RuleCompiler
{
    public const string Actions = "reply, replace, drop, hold, fault, close or tag";

    /// <param name="key">Names a field for the messages: e.g. <c>match.regex</c> or <c>Gateway:Listeners:0:Rules:1:Match:Regex</c>.</param>
    public static Rule Compile(RuleSpec spec, string id, ListenerProtocol protocol, bool relay, RuleState state, TimeSpan regexTimeout, Func<string, string> key)
    {
        Direction? direction = spec.Direction?.Trim().ToLowerInvariant() switch
        {
            null or "" or "both" => null,
            "in" => Traffic.Direction.In,
            "out" => Traffic.Direction.Out,
            _ => throw Bad(key("direction"), $"'{spec.Direction}' is not a direction: use in, out or both"),
        };
        if (direction == Traffic.Direction.Out && !relay)
        {
            throw Bad(key("direction"), "out: a plain listener's sessions only receive in messages (out is what the gateway itself sends); rules with direction out are for relays");
        }

        var match = spec.Match ?? new MatchSpec();
        var rule = new Rule
        {
            Spec = spec,
            Id = id,
            Direction = direction,
            Text = string.IsNullOrEmpty(match.Text) ? null : System.Text.Encoding.UTF8.GetBytes(match.Text),
            Hex = Hex(match.Hex, key("match.hex")),
            Prefix = Hex(match.PrefixHex, key("match.prefixHex")),
            Regex = string.IsNullOrEmpty(match.Regex) ? null : Pattern(match.Regex, regexTimeout, key("match.regex")),
            Action = Action(spec.Action, id, protocol, relay, regexTimeout, key),
            State = state,
        };
        return rule;
    }

    private static RuleAction Action(ActionSpec? action, string id, ListenerProtocol protocol, bool relay, TimeSpan regexTimeout, Func<string, string> key)
    {
        var type = action?.Type?.Trim().ToLowerInvariant();
        if (action is null || string.IsNullOrEmpty(type))
        {
            throw Bad(key("action.type"), $"is required: {Actions}");
        }

        if (!relay && type is "replace" or "drop" or "hold" or "fault")
        {
            throw Bad(key("action.type"), $"{type} acts on what a relay forwards; a plain listener forwards nothing (use reply, close or tag)");
        }

        switch (type)
        {
            case "reply":
                if (action.Data is null)
                {
                    throw Bad(key("action.data"), "is required for reply: what to answer the sender");
                }

                if (!ReplyTemplate.TryParse(action.Data, action.Encoding, out var template, out var error))
                {
                    throw Bad(key("action.data"), error);
                }

                if (action.DelayMs is < 0 or > FaultRules.MaxMs)
                {
                    throw Bad(key("action.delayMs"), $"must be between 0 and {FaultRules.MaxMs} (was {action.DelayMs})");
                }

                return new ReplyAction(template, TimeSpan.FromMilliseconds(action.DelayMs ?? 0), action.Forward);
            case "replace":
                if (string.IsNullOrEmpty(action.Regex) == string.IsNullOrEmpty(action.Hex))
                {
                    throw Bad(key("action.regex"), "replace needs regex or hex (one of them), and with");
                }

                if (action.With is null)
                {
                    throw Bad(key("action.with"), "is required for replace: what matches are rewritten to");
                }

                if (!string.IsNullOrEmpty(action.Regex))
                {
                    // The message is matched as Latin-1; the replacement's UTF-8 bytes are written as they are.
                    var with = System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes(action.With));
                    return new ReplaceAction(Pattern(action.Regex, regexTimeout, key("action.regex")), with, null, null);
                }

                return new ReplaceAction(null, null, Hex(action.Hex, key("action.hex")), Hex(action.With, key("action.with"), allowEmpty: true) ?? []);
            case "drop":
                return new DropAction();
            case "hold":
                return new HoldAction();
            case "fault":
                if (action.Fault is null)
                {
                    throw Bad(key("action.fault"), "is required for fault: {type, ...the fault's fields}, as for POST /api/listeners/{id}/faults");
                }

                try
                {
                    return new FaultAction(FaultRules.Parse($"{id}", action.Fault, protocol));
                }
                catch (Sessions.CommandException ex)
                {
                    throw Bad(key("action.fault"), ex.Message.TrimEnd('.'));
                }

            case "close":
                return new CloseAction(action.Abort);
            case "tag":
                if (string.IsNullOrWhiteSpace(action.Name) || action.Name.Length > 64 || action.Name.Any(c => char.IsControl(c) || c == ','))
                {
                    throw Bad(key("action.name"), "tag needs a name of 1 to 64 characters, without commas or control characters");
                }

                return new TagAction(action.Name.Trim());
            default:
                throw Bad(key("action.type"), $"'{action.Type}' is not an action: {Actions}");
        }
    }

    private static Regex Pattern(string pattern, TimeSpan timeout, string field)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, timeout);
        }
        catch (ArgumentException ex)
        {
            throw Bad(field, $"is not a valid regular expression: {ex.Message}");
        }
    }

    private static byte[]? Hex(string? hex, string field, bool allowEmpty = false)
    {
        if (string.IsNullOrEmpty(hex))
        {
            return allowEmpty ? [] : null;
        }

        return PayloadEncoding.TryDecode(hex, PayloadEncoding.Hex, out var bytes, out var error)
            ? bytes
            : throw Bad(field, error);
    }

    private static Sessions.CommandException Bad(string field, string detail) => Sessions.CommandException.BadInput($"{field}: {detail}.");
}
