using System.Text;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// MQTT control packets: the fixed header (type, flags, remaining length) and, for CONNECT, CONNACK,
/// PUBLISH, SUBSCRIBE and the acknowledgements, their fields. CONNECT tells 3.1.1 (level 4) from 5; other
/// packets are read as 3.1.1 here (an MQTT 5 PUBLISH's properties show in its payload).
/// </summary>
internal sealed class MqttDecoder : IMessageDecoder
{
    private static readonly string[] Types =
        ["reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"];

    public string Name => "mqtt";

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields)
    {
        var first = message[0];
        var type = Types[first >> 4];
        var flags = first & 0x0f;
        var at = 1;
        var remaining = Varint(message, ref at);
        fields.Add(new DecodedField("fixed header", $"{type}, flags 0x{flags:x}, remaining length {remaining}", 0, at,
        [
            DecodedField.Leaf("type", $"{first >> 4} ({type})", 0, 1),
            DecodedField.Leaf("flags", $"0x{flags:x}", 0, 1),
            DecodedField.Leaf("remaining length", remaining.ToString(), 1, at - 1),
        ]));
        var end = at + remaining;
        if (end > message.Length)
        {
            throw new DecodeException($"remaining length {remaining} runs past the message", 1);
        }

        switch (type)
        {
            case "CONNECT":
            {
                var protocol = String(message, ref at, "protocol name", fields);
                var level = message[at];
                fields.Add(DecodedField.Leaf("protocol level", level switch { 4 => "4 (3.1.1)", 5 => "5 (5.0)", 3 => "3 (3.1)", _ => level.ToString() }, at, 1));
                var connectFlags = message[at + 1];
                fields.Add(DecodedField.Leaf("connect flags", $"0x{connectFlags:x2}{((connectFlags & 0x02) != 0 ? " clean" : "")}", at + 1, 1));
                fields.Add(DecodedField.Leaf("keep alive", $"{(message[at + 2] << 8) | message[at + 3]} s", at + 2, 2));
                at += 4;
                if (level == 5)
                {
                    SkipProperties(message, ref at, fields);
                }

                var client = String(message, ref at, "client id", fields);
                return $"CONNECT {(client.Length == 0 ? "(no client id)" : client)} {protocol} v{(level == 5 ? "5" : "3.1.1")}";
            }

            case "CONNACK":
                fields.Add(DecodedField.Leaf("session present", (message[at] & 1) == 1 ? "yes" : "no", at, 1));
                fields.Add(DecodedField.Leaf("return code", message[at + 1].ToString(), at + 1, 1));
                return $"CONNACK rc {message[at + 1]}";
            case "PUBLISH":
            {
                var qos = (flags >> 1) & 3;
                var topic = String(message, ref at, "topic", fields);
                if (qos > 0)
                {
                    fields.Add(DecodedField.Leaf("packet id", ((message[at] << 8) | message[at + 1]).ToString(), at, 2));
                    at += 2;
                }

                var payload = message[at..end];
                fields.Add(DecodedField.Leaf("payload", Text(payload), at, payload.Length));
                return $"PUBLISH {topic} QoS{qos}{((flags & 1) != 0 ? " retained" : "")} {payload.Length} B";
            }

            case "SUBSCRIBE" or "UNSUBSCRIBE":
            {
                var id = (message[at] << 8) | message[at + 1];
                fields.Add(DecodedField.Leaf("packet id", id.ToString(), at, 2));
                at += 2;
                var topics = new List<string>();
                while (at < end)
                {
                    topics.Add(String(message, ref at, "topic filter", fields));
                    if (type == "SUBSCRIBE")
                    {
                        fields.Add(DecodedField.Leaf("requested QoS", (message[at] & 3).ToString(), at, 1));
                        at++;
                    }
                }

                return $"{type} {id}: {string.Join(", ", topics)}";
            }

            case "PUBACK" or "PUBREC" or "PUBREL" or "PUBCOMP" or "SUBACK" or "UNSUBACK":
            {
                var id = (message[at] << 8) | message[at + 1];
                fields.Add(DecodedField.Leaf("packet id", id.ToString(), at, 2));
                return $"{type} {id}";
            }

            default:
                if (end > at)
                {
                    fields.Add(DecodedField.Leaf("rest", Convert.ToHexString(message[at..end]), at, end - at));
                }

                return type;
        }
    }

    private static int Varint(ReadOnlySpan<byte> message, ref int at)
    {
        var value = 0;
        for (var shift = 0; shift < 28; shift += 7)
        {
            var b = message[at++];
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new DecodeException("a variable byte integer longer than 4 bytes", at - 4);
    }

    private static string String(ReadOnlySpan<byte> message, ref int at, string name, List<DecodedField> fields)
    {
        var length = (message[at] << 8) | message[at + 1];
        var text = Encoding.UTF8.GetString(message.Slice(at + 2, length));
        fields.Add(DecodedField.Leaf(name, text, at, 2 + length));
        at += 2 + length;
        return text;
    }

    private static void SkipProperties(ReadOnlySpan<byte> message, ref int at, List<DecodedField> fields)
    {
        var start = at;
        var length = Varint(message, ref at);
        fields.Add(DecodedField.Leaf("properties", $"{length} bytes", start, at - start + length));
        at += length;
    }

    private static string Text(ReadOnlySpan<byte> payload)
    {
        var shown = payload[..Math.Min(payload.Length, 200)];
        return shown.ToArray().All(b => b is >= 0x20 and < 0x7f or (byte)'\n' or (byte)'\r' or (byte)'\t')
            ? Encoding.ASCII.GetString(shown) + (payload.Length > shown.Length ? "…" : "")
            : Convert.ToHexString(shown) + (payload.Length > shown.Length ? "…" : "");
    }
}
