using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// MessagePack: one value or several in a row, each a tree (maps by key, arrays by index) with byte ranges,
/// and a summary written like JSON. Extension types show their type number and bytes (timestamps, type -1,
/// as a time). Nesting past <see cref="MaxDepth"/>, the unused byte 0xc1, and lengths past the message's end
/// end the tree in an error node.
/// </summary>
internal sealed class MsgpackDecoder : IMessageDecoder
{
    public const int MaxDepth = 64;
    private const int SummaryChars = 100;

    public string Name => "msgpack";

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context)
    {
        if (message.IsEmpty)
        {
            throw new DecodeException("no MessagePack value", 0);
        }

        var offset = 0;
        var summaries = new List<string>();
        while (offset < message.Length)
        {
            var (field, text) = Read(message, ref offset, $"value {fields.Count + 1}", 0);
            fields.Add(field);
            summaries.Add(text);
        }

        if (fields.Count == 1)
        {
            fields[0] = fields[0] with { Name = "value" };
        }

        var summary = Cut(summaries[0]);
        return fields.Count == 1 ? summary : $"{summary} (+{fields.Count - 1} more)";
    }

    /// <summary>Reads one value at <paramref name="offset"/>: its field (children for maps and arrays) and its JSON-like text.</summary>
    private static (DecodedField Field, string Text) Read(ReadOnlySpan<byte> data, ref int offset, string name, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new DecodeException($"nested deeper than {MaxDepth}", offset);
        }

        var start = offset;
        var type = data[offset++];
        switch (type)
        {
            case <= 0x7f:
                return Leaf(name, "positive fixint", type.ToString(CultureInfo.InvariantCulture), start, offset);
            case >= 0xe0:
                return Leaf(name, "negative fixint", ((sbyte)type).ToString(CultureInfo.InvariantCulture), start, offset);
            case >= 0x80 and <= 0x8f:
                return Map(data, ref offset, name, type & 0x0f, start, depth);
            case >= 0x90 and <= 0x9f:
                return Array(data, ref offset, name, type & 0x0f, start, depth);
            case >= 0xa0 and <= 0xbf:
                return Str(data, ref offset, name, type & 0x1f, start);
            case 0xc0:
                return Leaf(name, "nil", "null", start, offset);
            case 0xc1:
                throw new DecodeException("0xc1 is never used in MessagePack", start);
            case 0xc2 or 0xc3:
                return Leaf(name, "bool", type == 0xc3 ? "true" : "false", start, offset);
            case 0xc4 or 0xc5 or 0xc6:
                {
                    var length = Length(data, ref offset, 1 << (type - 0xc4), start);
                    var bytes = Take(data, ref offset, length, start);
                    return Leaf(name, "bin", $"<{length} B: {Convert.ToHexString(bytes[..Math.Min(bytes.Length, 16)]).ToLowerInvariant()}{(length > 16 ? "…" : "")}>", start, offset);
                }

            case 0xc7 or 0xc8 or 0xc9:
                return Ext(data, ref offset, name, Length(data, ref offset, 1 << (type - 0xc7), start), start);
            case 0xca:
                return Leaf(name, "float32", BinaryPrimitives.ReadSingleBigEndian(Take(data, ref offset, 4, start)).ToString("R", CultureInfo.InvariantCulture), start, offset);
            case 0xcb:
                return Leaf(name, "float64", BinaryPrimitives.ReadDoubleBigEndian(Take(data, ref offset, 8, start)).ToString("R", CultureInfo.InvariantCulture), start, offset);
            case >= 0xcc and <= 0xcf:
                {
                    var bytes = Take(data, ref offset, 1 << (type - 0xcc), start);
                    ulong value = bytes.Length switch
                    {
                        1 => bytes[0],
                        2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
                        4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
                        _ => BinaryPrimitives.ReadUInt64BigEndian(bytes),
                    };
                    return Leaf(name, $"uint{bytes.Length * 8}", value.ToString(CultureInfo.InvariantCulture), start, offset);
                }

            case >= 0xd0 and <= 0xd3:
                {
                    var bytes = Take(data, ref offset, 1 << (type - 0xd0), start);
                    long value = bytes.Length switch
                    {
                        1 => (sbyte)bytes[0],
                        2 => BinaryPrimitives.ReadInt16BigEndian(bytes),
                        4 => BinaryPrimitives.ReadInt32BigEndian(bytes),
                        _ => BinaryPrimitives.ReadInt64BigEndian(bytes),
                    };
                    return Leaf(name, $"int{bytes.Length * 8}", value.ToString(CultureInfo.InvariantCulture), start, offset);
                }

            case >= 0xd4 and <= 0xd8:
                return Ext(data, ref offset, name, 1 << (type - 0xd4), start);
            case >= 0xd9 and <= 0xdb:
                return Str(data, ref offset, name, Length(data, ref offset, 1 << (type - 0xd9), start), start);
            case 0xdc or 0xdd:
                return Array(data, ref offset, name, Length(data, ref offset, type == 0xdc ? 2 : 4, start), start, depth);
            default: // 0xde, 0xdf
                return Map(data, ref offset, name, Length(data, ref offset, type == 0xde ? 2 : 4, start), start, depth);
        }
    }

    private static (DecodedField, string) Map(ReadOnlySpan<byte> data, ref int offset, string name, int count, int start, int depth)
    {
        // Each entry takes at least two bytes: a count the message cannot hold is not a map.
        if (count > (data.Length - offset) / 2)
        {
            throw new DecodeException($"a map of {count} entries does not fit in the message", start);
        }

        var children = new List<DecodedField>(count);
        var texts = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var (key, keyText) = Read(data, ref offset, "key", depth + 1);
            var label = key.Children.Count > 0 ? $"entry {i + 1}" : keyText.StartsWith('"') ? key.Display : keyText;
            var (value, valueText) = Read(data, ref offset, label, depth + 1);
            children.Add(value.Children.Count == 0 && key.Children.Count == 0
                ? value with { Offset = key.Offset, Length = value.Offset + value.Length - key.Offset }
                : new DecodedField(label, "", key.Offset, value.Offset + value.Length - key.Offset, [key with { Name = "key" }, value with { Name = "value" }]));
            texts.Add($"{keyText}: {valueText}");
        }

        return (new DecodedField(name, $"map, {count} entries", start, offset - start, children), "{" + Cut(string.Join(", ", texts)) + "}");
    }

    private static (DecodedField, string) Array(ReadOnlySpan<byte> data, ref int offset, string name, int count, int start, int depth)
    {
        if (count > data.Length - offset)
        {
            throw new DecodeException($"an array of {count} elements does not fit in the message", start);
        }

        var children = new List<DecodedField>(count);
        var texts = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var (element, text) = Read(data, ref offset, $"[{i}]", depth + 1);
            children.Add(element);
            texts.Add(text);
        }

        return (new DecodedField(name, $"array, {count} elements", start, offset - start, children), "[" + Cut(string.Join(", ", texts)) + "]");
    }

    private static (DecodedField, string) Str(ReadOnlySpan<byte> data, ref int offset, string name, int length, int start)
    {
        var text = Encoding.UTF8.GetString(Take(data, ref offset, length, start));
        var quoted = "\"" + text.Replace("\"", "\\\"") + "\"";
        return (DecodedField.Leaf(name, text, start, offset - start), quoted);
    }

    private static (DecodedField, string) Ext(ReadOnlySpan<byte> data, ref int offset, string name, int length, int start)
    {
        var type = (sbyte)Take(data, ref offset, 1, start)[0];
        var bytes = Take(data, ref offset, length, start);
        var display = type == -1 && Timestamp(bytes) is { } at
            ? $"timestamp {at:O}"
            : $"ext type {type}, {length} B: {Convert.ToHexString(bytes[..Math.Min(bytes.Length, 16)]).ToLowerInvariant()}{(length > 16 ? "…" : "")}";
        return (DecodedField.Leaf(name, display, start, offset - start), $"<{display}>");
    }

    /// <summary>The timestamp extension (-1) in its 32, 64 and 96-bit forms.</summary>
    private static DateTimeOffset? Timestamp(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return bytes.Length switch
            {
                4 => DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(bytes)),
                8 => DateTimeOffset.FromUnixTimeSeconds((long)(BinaryPrimitives.ReadUInt64BigEndian(bytes) & 0x3_ffff_ffff))
                    .AddTicks((long)(BinaryPrimitives.ReadUInt64BigEndian(bytes) >> 34) / 100),
                12 => DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(bytes[4..])).AddTicks(BinaryPrimitives.ReadUInt32BigEndian(bytes) / 100),
                _ => null,
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static (DecodedField, string) Leaf(string name, string type, string text, int start, int end) =>
        (DecodedField.Leaf(name, $"{text} ({type})", start, end - start), text);

    private static int Length(ReadOnlySpan<byte> data, ref int offset, int width, int start)
    {
        var bytes = Take(data, ref offset, width, start);
        var length = width switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt32BigEndian(bytes),
        };
        return length > (uint)(data.Length - offset)
            ? throw new DecodeException($"a length of {length} runs past the message's end", start)
            : (int)length;
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int offset, int count, int start)
    {
        if (count > data.Length - offset)
        {
            throw new DecodeException("the message ends inside a value", start);
        }

        var taken = data.Slice(offset, count);
        offset += count;
        return taken;
    }

    private static string Cut(string text) => text.Length > SummaryChars ? text[..SummaryChars] + "…" : text;
}
