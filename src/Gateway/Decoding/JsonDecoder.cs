using System.Text;
using System.Text.Json;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// JSON: one value or several (newline-delimited JSON), each a tree of members and elements with their byte
/// ranges. Nesting deeper than <see cref="MaxDepth"/> and bytes that are not JSON end the tree in an error node.
/// </summary>
internal sealed class JsonDecoder : IMessageDecoder
{
    public const int MaxDepth = 64;
    private const int SummaryChars = 80;

    public string Name => "json";

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context)
    {
        var reader = new Utf8JsonReader(message, new JsonReaderOptions
        {
            AllowMultipleValues = true,
            MaxDepth = MaxDepth,
            CommentHandling = JsonCommentHandling.Skip,
        });
        var values = 0;
        try
        {
            while (reader.Read())
            {
                ReadValue(ref reader, $"value {values + 1}", fields, message);
                values++;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new DecodeException(Reason(ex), (int)Math.Min(reader.BytesConsumed, message.Length));
        }

        if (values == 0)
        {
            throw new DecodeException("no JSON value", 0);
        }

        if (values == 1)
        {
            fields[0] = fields[0] with { Name = "value" };
        }

        var first = fields[0];
        var summary = Compact(message.Slice(first.Offset, first.Length));
        return values == 1 ? summary : $"{summary} (+{values - 1} more)";
    }

    /// <summary>Reads the value whose first token the reader is on, and adds it (with what it holds) to <paramref name="into"/>.</summary>
    private static void ReadValue(ref Utf8JsonReader reader, string name, List<DecodedField> into, ReadOnlySpan<byte> message)
    {
        var start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                var isObject = reader.TokenType == JsonTokenType.StartObject;
                var children = new List<DecodedField>();
                try
                {
                    while (reader.Read() && reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray))
                    {
                        var childName = $"[{children.Count}]";
                        if (reader.TokenType == JsonTokenType.PropertyName)
                        {
                            childName = reader.GetString() ?? "";
                            reader.Read();
                        }

                        ReadValue(ref reader, childName, children, message);
                    }
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException)
                {
                    // Keep what was read: the container so far, up to where the bytes stopped making sense.
                    into.Add(new DecodedField(name, Describe(isObject, children.Count) + " so far",
                        start, (int)Math.Min(reader.BytesConsumed, message.Length) - start, children));
                    throw;
                }

                into.Add(new DecodedField(name, Describe(isObject, children.Count), start, (int)reader.BytesConsumed - start, children));
                return;

            default:
                var length = (int)reader.BytesConsumed - start;
                into.Add(DecodedField.Leaf(name, Compact(message.Slice(start, length)), start, length));
                return;
        }
    }

    /// <summary>The value's own text without the whitespace between tokens, cut to <see cref="SummaryChars"/> characters.</summary>
    private static string Compact(ReadOnlySpan<byte> json)
    {
        var text = Encoding.UTF8.GetString(json.Length > SummaryChars * 4 ? json[..(SummaryChars * 4)] : json);
        var one = new StringBuilder(Math.Min(text.Length, SummaryChars + 1));
        var inString = false;
        var escaped = false;
        foreach (var c in text)
        {
            if (one.Length > SummaryChars)
            {
                break;
            }

            if (inString)
            {
                one.Append(c);
                inString = !(c == '"' && !escaped);
                escaped = c == '\\' && !escaped;
            }
            else if (!char.IsWhiteSpace(c))
            {
                one.Append(c);
                inString = c == '"';
            }
        }

        return one.Length > SummaryChars || json.Length > SummaryChars * 4 ? one.ToString(0, Math.Min(one.Length, SummaryChars)) + "…" : one.ToString();
    }

    private static string Describe(bool isObject, int count) =>
        (isObject ? "object, " : "array, ") + count + (isObject ? " member" : " element") + (count == 1 ? "" : "s");

    private static string Reason(Exception ex)
    {
        var text = ex.Message;
        var cut = text.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? text[..cut] : text).TrimEnd('.', ' ');
    }
}
