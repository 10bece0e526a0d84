using System.Text;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// <c>auto</c>: picks one of the built-ins for each message, first by the session's well-known ports
/// (6379 resp, 1883/8883 mqtt, 502 modbus, 53/5353 dns, 80/8080/… http), then by content (an HTTP start
/// line, a RESP type byte, an MQTT CONNECT, an MBAP header whose length matches, a DNS header whose
/// counts fit; then JSON, MessagePack and protobuf, each only if the whole message reads). A protocol
/// recognised by port or by its own signature sticks for the rest of the session; the reading names the
/// decoder that read it.
/// </summary>
internal sealed class AutoDecoder : IMessageDecoder
{
    private static readonly Dictionary<int, string> WellKnownPorts = new()
    {
        [6379] = "resp", [1883] = "mqtt", [8883] = "mqtt", [502] = "modbus", [53] = "dns", [5353] = "dns",
        [80] = "http", [8080] = "http", [8000] = "http", [8008] = "http", [3000] = "http", [5000] = "http",
    };

    private static readonly string[] HttpMethods = ["GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "];

    public string Name => "auto";

    public bool UsesContext => true;

    /// <summary>Reads the message with the decoder <see cref="Pick"/> chooses (see <see cref="Decoders.Decode"/>, which names it in the reading).</summary>
    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context) =>
        Pick(message, direction, context) is { } picked
            ? picked.Decode(message, direction, fields, context)
            : throw new DecodeException("no decoder recognised it", 0);

    /// <summary>The decoder for this message, or null when none recognises it.</summary>
    public static IMessageDecoder? Pick(ReadOnlySpan<byte> message, Direction direction, DecodeContext context)
    {
        if (context.Recognised is { } known)
        {
            return known;
        }

        foreach (var port in context.Ports)
        {
            if (WellKnownPorts.TryGetValue(port, out var byPort) && Decoders.TryGet(byPort, out var decoder))
            {
                return context.Recognised = decoder;
            }
        }

        if (Signature(message, direction) is { } signed && Decoders.TryGet(signed, out var recognised))
        {
            return context.Recognised = recognised;
        }

        // Formats without a signature: the first that reads the whole message, without sticking.
        foreach (var name in (string[])["json", "msgpack", "protobuf"])
        {
            Decoders.TryGet(name, out var candidate);
            if (ReadsWhole(candidate, message, direction))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The protocol whose own marks the message carries (checked by reading it whole).</summary>
    private static string? Signature(ReadOnlySpan<byte> message, Direction direction)
    {
        if (message.Length == 0)
        {
            return null;
        }

        var head = Encoding.ASCII.GetString(message[..Math.Min(message.Length, 12)]);
        if (head.StartsWith("HTTP/1.", StringComparison.Ordinal) || HttpMethods.Any(m => head.StartsWith(m, StringComparison.Ordinal)))
        {
            return "http";
        }

        string? candidate = null;
        if ("*$+-:_,#%~>(=!|".Contains((char)message[0]) && message.IndexOf("\r\n"u8) > 0)
        {
            candidate = "resp";
        }
        else if (message.Length >= 10 && message[0] == 0x10 && (message[4..8].SequenceEqual("MQTT"u8) || message[4..10].SequenceEqual("MQIsdp"u8)))
        {
            candidate = "mqtt";
        }
        else if (message.Length >= 8 && message[2] == 0 && message[3] == 0 && ((message[4] << 8) | message[5]) == message.Length - 6)
        {
            candidate = "modbus";
        }
        else if ((message.Length >= 12 && ((message[2] >> 3) & 0x0f) <= 2 && message[4] == 0 && message[5] is >= 1 and <= 4)
            || (message.Length >= 14 && ((message[0] << 8) | message[1]) == message.Length - 2 && message[6] == 0 && message[7] is >= 1 and <= 4))
        {
            // A header with one to four questions (over TCP, after its two-byte length).
            candidate = "dns";
        }

        return candidate is not null && Decoders.TryGet(candidate, out var decoder) && ReadsWhole(decoder, message, direction) ? candidate : null;
    }

    private static bool ReadsWhole(IMessageDecoder decoder, ReadOnlySpan<byte> message, Direction direction)
    {
        var reading = Decoders.Decode(decoder, message, direction, new DecodeContext());
        return reading.Fields.Count > 0 && reading.Fields[^1].Name != "error";
    }
}
