using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>The built-in decoders by name, and the one safe way to run them.</summary>
internal static class Decoders
{
    private static readonly Dictionary<string, IMessageDecoder> ByName = new IMessageDecoder[]
    {
        new RespDecoder(), new MqttDecoder(), new ModbusDecoder(), new JsonDecoder(), new HttpDecoder(), new DnsDecoder(),
        new MsgpackDecoder(), new ProtobufDecoder(), new AutoDecoder(),
    }.ToDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Wireshark's dissectors, run by tshark on the session's pcapng (<see cref="Wireshark.WiresharkDissector"/>).</summary>
    public const string Wireshark = "wireshark";

    /// <summary>The listener's Kaitai Struct layout, compiled and run by the dashboard.</summary>
    public const string Layout = "layout";

    /// <summary>Every decoder a listener or a session can choose: the built-ins, <c>wireshark</c> and <c>layout</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ByName.Keys.Order(StringComparer.Ordinal), Wireshark, Layout];

    /// <summary>The decoders that read one message in this process.</summary>
    public static IReadOnlyCollection<IMessageDecoder> BuiltIns => ByName.Values;

    /// <summary>A built-in decoder (those that read one message in this process).</summary>
    public static bool TryGet(string? name, out IMessageDecoder decoder) => ByName.TryGetValue(name?.Trim() ?? "", out decoder!);

    /// <summary>Any decoder's name as written by the API (lower case), or false when there is none by that name.</summary>
    public static bool TryName(string? name, out string canonical)
    {
        canonical = Names.FirstOrDefault(n => string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase))!;
        return canonical is not null;
    }

    /// <summary>
    /// Decodes without ever throwing (with what earlier messages of the session taught, when given): where the bytes stop making sense (or end too soon), the tree ends with
    /// an <c>error</c> node at that offset and the summary says the message could not be read whole.
    /// </summary>
    public static DecodedMessage Decode(IMessageDecoder decoder, ReadOnlySpan<byte> message, Direction direction, DecodeContext? context = null)
    {
        if (decoder is AutoDecoder)
        {
            // The reading names the decoder auto picked; none: the bytes as they are.
            context ??= new DecodeContext();
            if (AutoDecoder.Pick(message, direction, context) is not { } picked)
            {
                return new DecodedMessage(decoder.Name, $"{message.Length} B, no decoder recognised it",
                    [DecodedField.Leaf("data", Convert.ToHexString(message[..Math.Min(message.Length, 32)]).ToLowerInvariant() + (message.Length > 32 ? "…" : ""), 0, message.Length)]);
            }

            decoder = picked;
        }

        var fields = new List<DecodedField>();
        try
        {
            return new DecodedMessage(decoder.Name, decoder.Decode(message, direction, fields, context ?? new DecodeContext()), fields);
        }
        catch (Exception ex) when (ex is DecodeException or IndexOutOfRangeException or ArgumentOutOfRangeException or FormatException or OverflowException)
        {
            var offset = ex is DecodeException d ? d.Offset : fields.Count == 0 ? 0 : Math.Min(message.Length, fields[^1].Offset + fields[^1].Length);
            var why = ex is DecodeException ? ex.Message : "the message ends before its fields do";
            fields.Add(DecodedField.Leaf("error", why, offset, Math.Max(0, message.Length - offset)));
            return new DecodedMessage(decoder.Name, $"(not {decoder.Name}: {why} at byte {offset})", fields);
        }
    }
}
