using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Framing;

/// <summary>
/// A listener's <c>framing</c> as written: a name (<c>raw</c>, <c>line</c>, <c>len16</c>, <c>len32</c>) or an
/// object, <c>{"type": "delimiter", "hex": "0d0a"}</c> or <c>{"type": "length", "offset": 4, "width": 2,
/// "endian": "big", "adjust": 0}</c> (<c>width</c> 1, 2, 4 or <c>"varint"</c>). Configuration takes either
/// form too: <c>Framing=line</c> or <c>Framing:Type=length</c>, <c>Framing:Offset=4</c>, …
/// </summary>
[TypeConverter(typeof(FramingSpecTypeConverter))]
[JsonConverter(typeof(FramingSpecJsonConverter))]
public sealed class FramingSpec
{
    public string? Type { get; set; }

    /// <summary>delimiter: the bytes that end a message (kept with it), in hex.</summary>
    public string? Hex { get; set; }

    /// <summary>length: bytes before the length field.</summary>
    public int? Offset { get; set; }

    /// <summary>length: <c>1</c>, <c>2</c>, <c>4</c> or <c>varint</c>.</summary>
    public string? Width { get; set; }

    /// <summary>length: <c>big</c> (default) or <c>little</c>.</summary>
    public string? Endian { get; set; }

    /// <summary>length: added to the field's value (the frame is offset + field + value + adjust bytes).</summary>
    public int? Adjust { get; set; }

    public static FramingSpec Named(string? type) => new() { Type = type };
}

/// <summary>Configuration's string form (<c>Framing=line</c>).</summary>
internal sealed class FramingSpecTypeConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) => FramingSpec.Named((string)value);
}

/// <summary>JSON: a string or an object; <c>width</c> a number or a string.</summary>
internal sealed class FramingSpecJsonConverter : JsonConverter<FramingSpec>
{
    public override FramingSpec? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return FramingSpec.Named(reader.GetString());
            case JsonTokenType.StartObject:
                break;
            default:
                throw new JsonException("framing must be a name (raw, line, len16, len32) or an object such as {\"type\":\"delimiter\",\"hex\":\"0d0a\"}.");
        }

        var spec = new FramingSpec();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()?.ToLowerInvariant();
            reader.Read();
            switch (name)
            {
                case "type": spec.Type = reader.GetString(); break;
                case "hex": spec.Hex = reader.GetString(); break;
                case "offset": spec.Offset = reader.GetInt32(); break;
                case "width": spec.Width = reader.TokenType == JsonTokenType.Number ? reader.GetInt32().ToString(CultureInfo.InvariantCulture) : reader.GetString(); break;
                case "endian": spec.Endian = reader.GetString(); break;
                case "adjust": spec.Adjust = reader.GetInt32(); break;
                default: throw new JsonException($"framing has no field '{name}': type, hex, offset, width, endian, adjust.");
            }
        }

        return spec;
    }

    public override void Write(Utf8JsonWriter writer, FramingSpec value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("type", value.Type ?? "raw");
        if (value.Hex is not null) writer.WriteString("hex", value.Hex);
        if (value.Offset is { } offset) writer.WriteNumber("offset", offset);
        if (value.Width is not null)
        {
            if (int.TryParse(value.Width, NumberStyles.None, CultureInfo.InvariantCulture, out var width)) writer.WriteNumber("width", width);
            else writer.WriteString("width", value.Width);
        }

        if (value.Endian is not null) writer.WriteString("endian", value.Endian);
        if (value.Adjust is { } adjust) writer.WriteNumber("adjust", adjust);
        writer.WriteEndObject();
    }
}
