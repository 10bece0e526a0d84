using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// Modbus/TCP: the MBAP header and the PDU. What the client sends (<c>in</c>) is read as a request, what
/// comes back as a response: function, unit, addresses, quantities, values, exception codes.
/// </summary>
internal sealed class ModbusDecoder : IMessageDecoder
{
    private static readonly Dictionary<int, string> Functions = new()
    {
        [1] = "Read Coils", [2] = "Read Discrete Inputs", [3] = "Read Holding Registers", [4] = "Read Input Registers",
        [5] = "Write Single Coil", [6] = "Write Single Register", [15] = "Write Multiple Coils", [16] = "Write Multiple Registers",
        [23] = "Read/Write Multiple Registers",
    };

    private static readonly Dictionary<int, string> Exceptions = new()
    {
        [1] = "Illegal Function", [2] = "Illegal Data Address", [3] = "Illegal Data Value", [4] = "Server Device Failure",
        [5] = "Acknowledge", [6] = "Server Device Busy", [8] = "Memory Parity Error", [10] = "Gateway Path Unavailable",
        [11] = "Gateway Target Device Failed to Respond",
    };

    public string Name => "modbus";

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context)
    {
        if (message.Length < 8)
        {
            throw new DecodeException("shorter than an MBAP header and a function code (8 bytes)", 0);
        }

        var transaction = U16(message, 0);
        var protocol = U16(message, 2);
        var length = U16(message, 4);
        var unit = message[6];
        fields.Add(new DecodedField("mbap", $"transaction {transaction}, unit {unit}", 0, 7,
        [
            DecodedField.Leaf("transaction id", transaction.ToString(), 0, 2),
            DecodedField.Leaf("protocol id", protocol == 0 ? "0 (Modbus)" : protocol.ToString(), 2, 2),
            DecodedField.Leaf("length", length.ToString(), 4, 2),
            DecodedField.Leaf("unit id", unit.ToString(), 6, 1),
        ]));
        if (protocol != 0)
        {
            throw new DecodeException($"protocol id {protocol}: Modbus/TCP is 0", 2);
        }

        var code = message[7];
        var function = code & 0x7f;
        var name = Functions.GetValueOrDefault(function, $"Function {function}");
        fields.Add(DecodedField.Leaf("function", $"{function} ({name}){((code & 0x80) != 0 ? ", exception" : "")}", 7, 1));
        if ((code & 0x80) != 0)
        {
            var exception = message[8];
            var why = Exceptions.GetValueOrDefault(exception, $"code {exception}");
            fields.Add(DecodedField.Leaf("exception code", $"{exception} ({why})", 8, 1));
            return $"Exception {why} ({name}) unit {unit}";
        }

        var request = direction == Direction.In;
        switch (function)
        {
            case 1 or 2 or 3 or 4 when request:
                fields.Add(DecodedField.Leaf("address", U16(message, 8).ToString(), 8, 2));
                fields.Add(DecodedField.Leaf("quantity", U16(message, 10).ToString(), 10, 2));
                return $"{name} unit {unit} addr {U16(message, 8)} ×{U16(message, 10)}";
            case 3 or 4:
            {
                var count = message[8];
                fields.Add(DecodedField.Leaf("byte count", count.ToString(), 8, 1));
                var values = new List<DecodedField>();
                for (var i = 0; i < count / 2; i++)
                {
                    values.Add(DecodedField.Leaf($"register {i}", U16(message, 9 + 2 * i).ToString(), 9 + 2 * i, 2));
                }

                fields.Add(new DecodedField("values", string.Join(", ", values.Take(16).Select(v => v.Display)) + (values.Count > 16 ? ", …" : ""), 9, count, values));
                return $"{name} unit {unit} → {values.Count} registers: {fields[^1].Display}";
            }

            case 1 or 2:
            {
                var count = message[8];
                fields.Add(DecodedField.Leaf("byte count", count.ToString(), 8, 1));
                fields.Add(DecodedField.Leaf("bits", Convert.ToHexString(message.Slice(9, count)), 9, count));
                return $"{name} unit {unit} → {count} bytes of bits";
            }

            case 5 or 6:
                fields.Add(DecodedField.Leaf("address", U16(message, 8).ToString(), 8, 2));
                var value = U16(message, 10);
                var shown = function == 5 ? value switch { 0xFF00 => "ON", 0 => "OFF", _ => $"0x{value:x4}" } : value.ToString();
                fields.Add(DecodedField.Leaf("value", shown, 10, 2));
                return $"{name} unit {unit} addr {U16(message, 8)} = {shown}";
            case 15 or 16:
                fields.Add(DecodedField.Leaf("address", U16(message, 8).ToString(), 8, 2));
                fields.Add(DecodedField.Leaf("quantity", U16(message, 10).ToString(), 10, 2));
                if (!request)
                {
                    return $"{name} unit {unit} addr {U16(message, 8)} ×{U16(message, 10)} done";
                }

                var bytes = message[12];
                fields.Add(DecodedField.Leaf("byte count", bytes.ToString(), 12, 1));
                fields.Add(DecodedField.Leaf("values", Convert.ToHexString(message.Slice(13, bytes)), 13, bytes));
                return $"{name} unit {unit} addr {U16(message, 8)} ×{U16(message, 10)}";
            default:
                fields.Add(DecodedField.Leaf("data", Convert.ToHexString(message[8..]), 8, message.Length - 8));
                return $"{name} unit {unit}";
        }
    }

    private static int U16(ReadOnlySpan<byte> message, int at) => (message[at] << 8) | message[at + 1];
}
