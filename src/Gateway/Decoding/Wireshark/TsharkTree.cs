using System.Text.Json;

namespace Gateway.Decoding.Wireshark;

/// <summary>
/// Reads one packet of <c>tshark -T json -x</c> into the decoders' field tree. tshark writes a field as
/// <c>"name": value</c> preceded by <c>"name_raw": [hex, position, length, bitmask, type]</c> (with
/// <c>-x</c>), a field's subtree as <c>"name_tree": {…}</c>, and a protocol or text item as an object of
/// its own. Keys repeat inside one object when a field occurs twice, so the object is read in order,
/// never as a dictionary. Positions are into the frame; <see cref="Place"/> turns them into offsets into
/// the message.
/// </summary>
internal static class TsharkTree
{
    /// <summary>Layers that are the synthetic packet around the message, not the message.</summary>
    private static readonly HashSet<string> Carriers = new(StringComparer.Ordinal)
    {
        "frame", "raw", "eth", "sll", "ip", "ipv6", "tcp", "udp", "tcp.segments", "fake-field-wrapper",
    };

    /// <summary>Where a frame's bytes sit in the message: a position in the frame → an offset in the message, clamped into it.</summary>
    public delegate (int Offset, int Length) Place(int position, int length);

    /// <summary>The application layers of one packet (<c>_source.layers</c>), each a node whose children are its fields.</summary>
    public static List<DecodedField> Layers(JsonElement layers, Place place)
    {
        var result = new List<DecodedField>();
        var positions = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        foreach (var layer in layers.EnumerateObject())
        {
            if (RawPosition(layer) is { } raw)
            {
                positions[layer.Name[..^4]] = raw;
                continue;
            }

            if (Carriers.Contains(layer.Name) || layer.Name.EndsWith("_raw", StringComparison.Ordinal))
            {
                continue;
            }

            var (offset, length) = positions.Remove(layer.Name, out var at) ? place(at.Item1, at.Item2) : (0, 0);
            var children = layer.Value.ValueKind == JsonValueKind.Object ? Fields(layer.Value, place) : [];
            if (layer.Name == "_ws.malformed")
            {
                // Wireshark's own "the bytes end before the fields do": the tree's error node, as with the built-ins.
                result.Add(new DecodedField("error", "malformed packet (Wireshark: " + Describe(layer.Value, children) + ")", offset, length, children));
                continue;
            }

            result.Add(new DecodedField(layer.Name, layer.Value.ValueKind == JsonValueKind.String ? layer.Value.GetString()! : layer.Name.ToUpperInvariant(), offset, length, children));
        }

        return result;
    }

    /// <summary>The fields of one object, in order: each value paired with the position its <c>_raw</c> twin gave, each <c>_tree</c> hung under its field.</summary>
    private static List<DecodedField> Fields(JsonElement node, Place place)
    {
        var fields = new List<DecodedField>();
        var positions = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        foreach (var property in node.EnumerateObject())
        {
            var name = property.Name;
            if (RawPosition(property) is { } raw)
            {
                positions[name[..^4]] = raw;
                continue;
            }

            if (name.EndsWith("_tree", StringComparison.Ordinal) && property.Value.ValueKind == JsonValueKind.Object
                && fields.FindLastIndex(f => f.Name == name[..^5]) is var owner and >= 0)
            {
                fields[owner] = fields[owner] with { Children = [.. fields[owner].Children, .. Fields(property.Value, place)] };
                continue;
            }

            var (offset, length) = positions.Remove(name, out var at) ? place(at.Item1, at.Item2) : (0, 0);
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.Object:
                    var children = Fields(property.Value, place);
                    if ((offset, length) == (0, 0) && children.Count > 0)
                    {
                        // A text item without bytes of its own spans its children.
                        offset = children.Min(c => c.Offset);
                        length = children.Max(c => c.Offset + c.Length) - offset;
                    }

                    fields.Add(new DecodedField(name, "", offset, length, children));
                    break;
                case JsonValueKind.Array:
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        fields.Add(DecodedField.Leaf(name, item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText(), offset, length));
                    }

                    break;
                default:
                    fields.Add(DecodedField.Leaf(name, property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText(), offset, length));
                    break;
            }
        }

        return fields;
    }

    /// <summary>A <c>name_raw</c> array (<c>[hex, position, length, …]</c>), as opposed to a field that happens to end in <c>_raw</c> (<c>tcp.seq_raw</c>).</summary>
    private static (int Position, int Length)? RawPosition(JsonProperty property) =>
        property.Name.EndsWith("_raw", StringComparison.Ordinal)
        && property.Value is { ValueKind: JsonValueKind.Array } array
        && array.GetArrayLength() >= 3
        && array[0].ValueKind == JsonValueKind.String
        && array[1].ValueKind == JsonValueKind.Number && array[1].TryGetInt32(out var position)
        && array[2].ValueKind == JsonValueKind.Number && array[2].TryGetInt32(out var length)
            ? (position, length)
            : null;

    private static string Describe(JsonElement value, List<DecodedField> children) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text
        : children.Count > 0 ? children[0].Name
        : "the bytes end before the fields do";
}
