using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// Protocol Buffers without a schema, as <c>protoc --decode_raw</c> reads them: each field's number and
/// wire type, varints (with their zigzag reading), fixed32/fixed64 (with their float reading), and
/// length-delimited fields guessed in turn as a nested message (when their bytes parse whole as one), as
/// text (when they are printable UTF-8), or as bytes. Groups (wire types 3 and 4) nest as messages.
/// </summary>
internal sealed class ProtobufDecoder : IMessageDecoder
{
    public const int MaxDepth = 32;
    private const int SummaryChars = 100;
    private const int MaxFieldNumber = (1 << 29) - 1;

    public string Name => "protobuf";

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context)
    {
        if (message.IsEmpty)
        {
            throw new DecodeException("no fields (an empty message)", 0);
        }

        var texts = new List<string>();
        var offset = 0;
        ReadFields(message, ref offset, message.Length, fields, texts, 0, endGroup: null);
        var summary = "{" + string.Join(", ", texts) + "}";
        return summary.Length > SummaryChars ? summary[..SummaryChars] + "…" : summary;
    }

    /// <summary>Reads fields from <paramref name="offset"/> to <paramref name="end"/> (or up to the end-group tag of <paramref name="endGroup"/>); throws where the bytes are not a field.</summary>
    private static void ReadFields(ReadOnlySpan<byte> data, ref int offset, int end, List<DecodedField> into, List<string> texts, int depth, int? endGroup)
    {
        if (depth > MaxDepth)
        {
            throw new DecodeException($"nested deeper than {MaxDepth}", offset);
        }

        while (offset < end)
        {
            var start = offset;
            var tag = Varint(data, ref offset, end);
            var number = tag >> 3;
            var wireType = (int)(tag & 7);
            if (number is 0 or > MaxFieldNumber)
            {
                throw new DecodeException($"field number {number} is out of range", start);
            }

            var name = number.ToString(CultureInfo.InvariantCulture);
            switch (wireType)
            {
                case 0:
                    {
                        var value = Varint(data, ref offset, end);
                        var signed = (long)(value >> 1) ^ -(long)(value & 1);
                        var display = value.ToString(CultureInfo.InvariantCulture)
                            + (value > 1 ? $" (zigzag {signed.ToString(CultureInfo.InvariantCulture)})" : "")
                            + (value > long.MaxValue ? $" (int64 {((long)value).ToString(CultureInfo.InvariantCulture)})" : "");
                        into.Add(Field(name, "varint", display, start, offset));
                        texts.Add($"{name}: {value.ToString(CultureInfo.InvariantCulture)}");
                        break;
                    }

                case 1 or 5:
                    {
                        // fixed64 and fixed32, little-endian; shown with their double or float reading too.
                        var wide = wireType == 1;
                        var bytes = Take(data, ref offset, wide ? 8 : 4, end, start);
                        var value = wide ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);
                        var real = wide
                            ? "double " + BinaryPrimitives.ReadDoubleLittleEndian(bytes).ToString("R", CultureInfo.InvariantCulture)
                            : "float " + BinaryPrimitives.ReadSingleLittleEndian(bytes).ToString("R", CultureInfo.InvariantCulture);
                        into.Add(Field(name, wide ? "fixed64" : "fixed32", $"{value.ToString(CultureInfo.InvariantCulture)} ({real})", start, offset));
                        texts.Add($"{name}: {value.ToString(CultureInfo.InvariantCulture)}");
                        break;
                    }

                case 2:
                    {
                        var length = Varint(data, ref offset, end);
                        if (length > (ulong)(end - offset))
                        {
                            throw new DecodeException($"field {name}'s length {length} runs past the message's end", start);
                        }

                        var bodyStart = offset;
                        offset += (int)length;
                        var (field, text) = Delimited(data, name, start, bodyStart, offset, depth);
                        into.Add(field);
                        texts.Add($"{name}: {text}");
                        break;
                    }

                case 3:
                    {
                        var children = new List<DecodedField>();
                        var inner = new List<string>();
                        ReadFields(data, ref offset, end, children, inner, depth + 1, endGroup: (int)number);
                        into.Add(new DecodedField(name, "group", start, offset - start, children));
                        texts.Add($"{name} {{{string.Join(", ", inner)}}}");
                        break;
                    }

                case 4:
                    if (endGroup != (int)number)
                    {
                        throw new DecodeException($"an end-group tag for field {name} without its start", start);
                    }

                    return;
                default:
                    throw new DecodeException($"wire type {wireType} does not exist", start);
            }
        }

        if (endGroup is { } open)
        {
            throw new DecodeException($"group {open} has no end-group tag", offset);
        }
    }

    /// <summary>A length-delimited field: a nested message if its bytes parse whole as one, else text if printable, else bytes.</summary>
    private static (DecodedField, string) Delimited(ReadOnlySpan<byte> data, string name, int start, int bodyStart, int end, int depth)
    {
        var body = data[bodyStart..end];
        if (body.Length > 0 && depth < MaxDepth && TryMessage(data, bodyStart, end, depth + 1, out var children, out var inner))
        {
            return (new DecodedField(name, $"message, {children.Count} fields", start, end - start, children), "{" + string.Join(", ", inner) + "}");
        }

        if (Printable(body))
        {
            var text = Encoding.UTF8.GetString(body);
            return (DecodedField.Leaf(name, text, start, end - start), "\"" + (text.Length > 40 ? text[..40] + "…" : text).Replace("\"", "\\\"") + "\"");
        }

        var hex = Convert.ToHexString(body[..Math.Min(body.Length, 16)]).ToLowerInvariant() + (body.Length > 16 ? "…" : "");
        return (DecodedField.Leaf(name, $"<{body.Length} B: {hex}>", start, end - start), $"<{body.Length} B>");
    }

    private static bool TryMessage(ReadOnlySpan<byte> data, int start, int end, int depth, out List<DecodedField> fields, out List<string> texts)
    {
        fields = [];
        texts = [];
        var offset = start;
        try
        {
            ReadFields(data, ref offset, end, fields, texts, depth, endGroup: null);
            return offset == end && fields.Count > 0;
        }
        catch (DecodeException)
        {
            return false;
        }
    }

    private static bool Printable(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return true;
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return false;
        }

        foreach (var b in bytes)
        {
            if (b < 0x20 && b is not (byte)'\t' and not (byte)'\n' and not (byte)'\r')
            {
                return false;
            }
        }

        return true;
    }

    private static DecodedField Field(string name, string wireType, string display, int start, int end) =>
        DecodedField.Leaf(name, $"{display} ({wireType})", start, end - start);

    private static ulong Varint(ReadOnlySpan<byte> data, ref int offset, int end)
    {
        var start = offset;
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (offset >= end)
            {
                throw new DecodeException("the message ends inside a varint", start);
            }

            var b = data[offset++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new DecodeException("a varint longer than 10 bytes", start);
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int offset, int count, int end, int start)
    {
        if (count > end - offset)
        {
            throw new DecodeException("the message ends inside a field", start);
        }

        var taken = data.Slice(offset, count);
        offset += count;
        return taken;
    }
}
