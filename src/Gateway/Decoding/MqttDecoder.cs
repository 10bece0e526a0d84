using System.Text;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// MQTT control packets: the fixed header (type, flags, remaining length) and, for CONNECT, CONNACK,
/// PUBLISH, SUBSCRIBE and the acknowledgements, their fields. CONNECT tells 3.1.1 (level 4) from 5 and the
/// session's <see cref="DecodeContext"/> remembers it: after an MQTT 5 CONNECT, packets are read with their
/// reason codes and properties. A session whose CONNECT was not seen is read as 3.1.1.
/// </summary>
internal sealed class MqttDecoder : IMessageDecoder
{
    private static readonly string[] Types =
        ["reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"];

    public string Name => "mqtt";

    public bool UsesContext => true;

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context)
    {
        var v5 = context.MqttLevel == 5;
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
                context.MqttLevel = level;
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
            {
                var code = message[at + 1];
                fields.Add(DecodedField.Leaf("session present", (message[at] & 1) == 1 ? "yes" : "no", at, 1));
                fields.Add(DecodedField.Leaf(v5 ? "reason code" : "return code", code.ToString(), at + 1, 1));
                if (v5 && at + 2 < end)
                {
                    at += 2;
                    SkipProperties(message, ref at, fields);
                }

                return $"CONNACK rc {code}";
            }

            case "PUBLISH":
            {
                var qos = (flags >> 1) & 3;
                var topic = String(message, ref at, "topic", fields);
                if (qos > 0)
                {
                    fields.Add(DecodedField.Leaf("packet id", ((message[at] << 8) | message[at + 1]).ToString(), at, 2));
                    at += 2;
                }

                if (v5)
                {
                    SkipProperties(message, ref at, fields);
                }

                if (at > end)
                {
                    throw new DecodeException("the PUBLISH's fields run past its remaining length", end);
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
                if (v5)
                {
                    SkipProperties(message, ref at, fields);
                }

                var topics = new List<string>();
                while (at < end)
                {
                    topics.Add(String(message, ref at, "topic filter", fields));
                    if (type == "SUBSCRIBE")
                    {
                        fields.Add(DecodedField.Leaf(v5 ? "subscription options" : "requested QoS", $"QoS {message[at] & 3}{(v5 && (message[at] & 4) != 0 ? ", no local" : "")}", at, 1));
                        at++;
                    }
                }

                return $"{type} {id}: {string.Join(", ", topics)}";
            }

            case "PUBACK" or "PUBREC" or "PUBREL" or "PUBCOMP" or "SUBACK" or "UNSUBACK":
            {
                var id = (message[at] << 8) | message[at + 1];
                fields.Add(DecodedField.Leaf("packet id", id.ToString(), at, 2));
                at += 2;
                var codes = new List<string>();
                if (type is "SUBACK" or "UNSUBACK")
                {
                    if (v5)
                    {
                        SkipProperties(message, ref at, fields);
                    }

                    // One code per topic filter: the granted QoS, or 0x80 and up for a refusal.
                    for (; at < end; at++)
                    {
                        codes.Add(message[at] < 0x80 ? (type == "SUBACK" ? $"QoS{message[at]}" : "ok") : $"0x{message[at]:x2}");
                        fields.Add(DecodedField.Leaf(v5 || type == "SUBACK" ? "reason code" : "code", codes[^1], at, 1));
                    }
                }
                else if (v5 && at < end)
                {
                    fields.Add(DecodedField.Leaf("reason code", $"0x{message[at]:x2}", at, 1));
                    codes.Add($"0x{message[at]:x2}");
                    at++;
                    if (at < end)
                    {
                        SkipProperties(message, ref at, fields);
                    }
                }

                return codes.Count == 0 ? $"{type} {id}" : $"{type} {id}: {string.Join(", ", codes)}";
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
        if (at + length > message.Length)
        {
            throw new DecodeException($"properties of {length} bytes run past the message", start);
        }

        fields.Add(new DecodedField("properties", $"{length} bytes", start, at - start + length, Properties(message.Slice(at, length), at)));
        at += length;
    }

    /// <summary>MQTT 5 properties, each by name with its value; an identifier not known here ends the list with the rest as bytes.</summary>
    private static List<DecodedField> Properties(ReadOnlySpan<byte> properties, int offset)
    {
        var list = new List<DecodedField>();
        var at = 0;
        while (at < properties.Length)
        {
            var start = at;
            var id = properties[at++];
            string name;
            string value;
            switch (id)
            {
                case 1 or 23 or 25 or 36 or 37 or 40 or 41 or 42: // one byte
                    name = id switch { 1 => "payload format", 23 => "request problem information", 25 => "request response information", 36 => "maximum QoS", 37 => "retain available", 40 => "wildcard subscriptions available", 41 => "subscription ids available", _ => "shared subscriptions available" };
                    value = properties[at++].ToString();
                    break;
                case 19 or 33 or 34 or 35: // two bytes
                    name = id switch { 19 => "server keep alive", 33 => "receive maximum", 34 => "topic alias maximum", _ => "topic alias" };
                    value = ((properties[at] << 8) | properties[at + 1]).ToString();
                    at += 2;
                    break;
                case 2 or 17 or 24 or 39: // four bytes
                    name = id switch { 2 => "message expiry interval", 17 => "session expiry interval", 24 => "will delay interval", _ => "maximum packet size" };
                    value = ((uint)((properties[at] << 24) | (properties[at + 1] << 16) | (properties[at + 2] << 8) | properties[at + 3])).ToString();
                    at += 4;
                    break;
                case 11:
                    name = "subscription id";
                    value = Varint(properties, ref at).ToString();
                    break;
                case 3 or 8 or 18 or 21 or 26 or 28 or 31: // UTF-8 string
                    name = id switch { 3 => "content type", 8 => "response topic", 18 => "assigned client id", 21 => "authentication method", 26 => "response information", 28 => "server reference", _ => "reason string" };
                    value = PropertyString(properties, ref at);
                    break;
                case 9 or 22: // binary data
                {
                    name = id == 9 ? "correlation data" : "authentication data";
                    var length = (properties[at] << 8) | properties[at + 1];
                    value = Text(properties.Slice(at + 2, length));
                    at += 2 + length;
                    break;
                }

                case 38:
                    name = "user property";
                    value = $"{PropertyString(properties, ref at)} = {PropertyString(properties, ref at)}";
                    break;
                default:
                    list.Add(DecodedField.Leaf($"property {id}", Convert.ToHexString(properties[start..]), offset + start, properties.Length - start));
                    return list;
            }

            list.Add(DecodedField.Leaf(name, value, offset + start, at - start));
        }

        return list;
    }

    private static string PropertyString(ReadOnlySpan<byte> properties, ref int at)
    {
        var length = (properties[at] << 8) | properties[at + 1];
        var text = Encoding.UTF8.GetString(properties.Slice(at + 2, length));
        at += 2 + length;
        return text;
    }

    private static string Text(ReadOnlySpan<byte> payload)
    {
        var shown = payload[..Math.Min(payload.Length, 200)];
        return shown.ToArray().All(b => b is >= 0x20 and < 0x7f or (byte)'\n' or (byte)'\r' or (byte)'\t')
            ? Encoding.ASCII.GetString(shown) + (payload.Length > shown.Length ? "…" : "")
            : Convert.ToHexString(shown) + (payload.Length > shown.Length ? "…" : "");
    }
}
