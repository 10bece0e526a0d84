using System.Text.Json.Serialization;

namespace Gateway.Pipeline;

/// <summary>
/// A listener rule as written (REST and <c>Gateway:Listeners:N:Rules:M</c>): when a message in
/// <c>direction</c> matches every field of <c>match</c>, <c>action</c> applies; unless <c>continue</c>,
/// later rules do not see it.
/// </summary>
public sealed class RuleSpec
{
    /// <summary>Given by the gateway when absent (<c>r1</c>, <c>r2</c>, …); unique per listener.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary><c>in</c> (from the client), <c>out</c> (from the upstream, relays only) or <c>both</c> (default).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Direction { get; set; }

    /// <summary>What a message must hold; empty matches every message.</summary>
    public MatchSpec? Match { get; set; }

    public ActionSpec? Action { get; set; }

    /// <summary>Let later rules see the message too.</summary>
    public bool Continue { get; set; }
}

/// <summary>Every field given must hold.</summary>
public sealed class MatchSpec
{
    /// <summary>UTF-8 text the message contains.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Text { get; set; }

    /// <summary>Bytes the message contains, in hex (spaces, <c>:</c> and <c>-</c> allowed between bytes).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Hex { get; set; }

    /// <summary>A .NET regular expression over the message read as Latin-1 (one character per byte, so any byte can be matched).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Regex { get; set; }

    /// <summary>Bytes the message starts with, in hex.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PrefixHex { get; set; }
}

/// <summary>What a matching message gets: <c>reply</c>, <c>replace</c>, <c>drop</c>, <c>hold</c>, <c>fault</c>, <c>close</c> or <c>tag</c>.</summary>
public sealed class ActionSpec
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Type { get; set; }

    /// <summary>reply: what to answer the sender, in <c>encoding</c>; <c>$0</c>…<c>$9</c> are the regex's groups.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Data { get; set; }

    /// <summary>reply: <c>utf8</c> (default), <c>hex</c> or <c>base64</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Encoding { get; set; }

    /// <summary>reply: wait this long before answering.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DelayMs { get; set; }

    /// <summary>reply on a relay: forward the matched message too (default: the reply stands in for the other side).</summary>
    public bool Forward { get; set; }

    /// <summary>replace: a regex (over Latin-1) whose matches are rewritten…</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Regex { get; set; }

    /// <summary>replace: …or a byte pattern (hex) whose occurrences are.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Hex { get; set; }

    /// <summary>replace: the replacement: text (UTF-8, <c>$1</c> for groups) with <c>regex</c>, hex with <c>hex</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? With { get; set; }

    /// <summary>fault: the fault to apply to matching messages, as for <c>POST /api/listeners/{id}/faults</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Faults.FaultRequest? Fault { get; set; }

    /// <summary>close: reset (RST) instead of closing (FIN).</summary>
    public bool Abort { get; set; }

    /// <summary>tag: the label.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; set; }
}
