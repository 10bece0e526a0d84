using System.Globalization;
using System.Text;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// Redis RESP2 and RESP3: every value in the message (pipelined commands, several replies), arrays and
/// maps nested. Summaries read like redis-cli: <c>SET user:1 "alice"</c>, <c>OK</c>, <c>(integer) 5</c>.
/// </summary>
internal sealed class RespDecoder : IMessageDecoder
{
    private const int MaxDepth = 32;

    public string Name => "resp";

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context)
    {
        var at = 0;
        var summaries = new List<string>();
        while (at < message.Length)
        {
            var (field, summary) = Value(message, ref at, 0);
            fields.Add(field);
            summaries.Add(summary);
        }

        return summaries.Count switch
        {
            0 => "(empty)",
            1 => summaries[0],
            _ => $"{summaries[0]} (+{summaries.Count - 1} more)",
        };
    }

    private static (DecodedField Field, string Summary) Value(ReadOnlySpan<byte> message, ref int at, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new DecodeException($"values nested deeper than {MaxDepth}", at);
        }

        var start = at;
        var type = (char)message[at];
        var line = Line(message, ref at);
        switch (type)
        {
            case '+':
                return (DecodedField.Leaf("simple string", line, start, at - start), line);
            case '-':
                return (DecodedField.Leaf("error", line, start, at - start), $"(error) {line}");
            case ':':
                return (DecodedField.Leaf("integer", line, start, at - start), $"(integer) {long.Parse(line, CultureInfo.InvariantCulture)}");
            case ',':
                return (DecodedField.Leaf("double", line, start, at - start), $"(double) {line}");
            case '(':
                return (DecodedField.Leaf("big number", line, start, at - start), $"(big number) {line}");
            case '#':
                return (DecodedField.Leaf("boolean", line == "t" ? "true" : "false", start, at - start), line == "t" ? "(true)" : "(false)");
            case '_':
                return (DecodedField.Leaf("null", "null", start, at - start), "(nil)");
            case '$' or '=' or '!':
                var length = int.Parse(line, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return (DecodedField.Leaf("null", "null", start, at - start), "(nil)");
                }

                if (at + length + 2 > message.Length)
                {
                    throw new DecodeException($"a bulk string of {length} bytes runs past the message", start);
                }

                var text = Encoding.UTF8.GetString(message.Slice(at, length));
                at += length + 2;
                var name = type == '$' ? "bulk string" : type == '=' ? "verbatim string" : "bulk error";
                return (DecodedField.Leaf(name, text, start, at - start), type == '!' ? $"(error) {text}" : Quote(text));
            case '*' or '~' or '>' or '%' or '|':
                var count = int.Parse(line, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return (DecodedField.Leaf("null", "null", start, at - start), "(nil)");
                }

                var items = type is '%' or '|' ? count * 2 : count;
                var children = new List<DecodedField>(Math.Min(items, 1024));
                var parts = new List<string>();
                for (var i = 0; i < items; i++)
                {
                    var (child, summary) = Value(message, ref at, depth + 1);
                    children.Add(child);
                    parts.Add(child.Name is "bulk string" or "simple string" ? child.Display : summary);
                }

                var kind = type switch { '*' => "array", '~' => "set", '>' => "push", '%' => "map", _ => "attribute" };
                var display = $"{kind} of {count}";
                // An array of strings sent by a client is a command: SET user:1 "alice".
                var isCommand = type == '*' && count > 0 && children.All(c => c.Name == "bulk string");
                return (new DecodedField(kind, display, start, at - start, children),
                    isCommand ? Command(parts) : display);
            default:
                throw new DecodeException($"'{Printable(type)}' is not a RESP type", start);
        }
    }

    private static string Command(List<string> parts)
    {
        var summary = new StringBuilder(parts[0].ToUpperInvariant());
        for (var i = 1; i < parts.Count && summary.Length < 200; i++)
        {
            summary.Append(' ').Append(i == 1 ? parts[i] : Quote(parts[i]));
        }

        return summary.ToString();
    }

    private static string Line(ReadOnlySpan<byte> message, ref int at)
    {
        var end = message[at..].IndexOf("\r\n"u8);
        if (end < 0)
        {
            throw new DecodeException("a line without its \\r\\n", at);
        }

        var line = Encoding.UTF8.GetString(message.Slice(at + 1, end - 1));
        at += end + 2;
        return line;
    }

    private static string Quote(string text) => "\"" + (text.Length > 80 ? text[..80] + "…" : text).Replace("\"", "\\\"") + "\"";

    private static string Printable(char c) => c is >= ' ' and < (char)127 ? c.ToString() : $"0x{(int)c:x2}";
}
