using System.Buffers.Binary;
using System.Net;
using System.Text;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// DNS messages: over UDP a datagram, over TCP the same with its two-byte length in front (told apart by that
/// length matching the rest). Header, questions, and answer, authority and additional records, with
/// compressed names followed (and loops in them refused).
/// </summary>
internal sealed class DnsDecoder : IMessageDecoder
{
    private const int MaxJumps = 64;

    private static readonly Dictionary<int, string> Types = new()
    {
        [1] = "A", [2] = "NS", [5] = "CNAME", [6] = "SOA", [12] = "PTR", [15] = "MX", [16] = "TXT", [28] = "AAAA", [33] = "SRV",
        [41] = "OPT", [64] = "SVCB", [65] = "HTTPS", [255] = "ANY",
    };

    private static readonly string[] Codes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

    public string Name => "dns";

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context)
    {
        var origin = 0;
        if (message.Length >= 14 && BinaryPrimitives.ReadUInt16BigEndian(message) == message.Length - 2)
        {
            fields.Add(DecodedField.Leaf("length", $"{message.Length - 2} (DNS over TCP)", 0, 2));
            origin = 2;
        }

        var dns = message[origin..];
        if (dns.Length < 12)
        {
            throw new DecodeException("shorter than a DNS header (12 bytes)", origin);
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(dns);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(dns[2..]);
        var isResponse = (flags & 0x8000) != 0;
        var rcode = flags & 0xf;
        var counts = new int[4];
        for (var i = 0; i < 4; i++)
        {
            counts[i] = BinaryPrimitives.ReadUInt16BigEndian(dns[(4 + 2 * i)..]);
        }

        var flagNames = new[] { (0x0400, "AA"), (0x0200, "TC"), (0x0100, "RD"), (0x0080, "RA") }.Where(f => (flags & f.Item1) != 0).Select(f => f.Item2);
        fields.Add(new DecodedField("header", $"id {id}, {(isResponse ? "response" : "query")}", origin, 12,
        [
            DecodedField.Leaf("id", id.ToString(), origin, 2),
            DecodedField.Leaf("flags", $"0x{flags:x4} {(isResponse ? "response" : "query")}, opcode {(flags >> 11) & 0xf}{string.Concat(flagNames.Select(n => ", " + n))}, {RcodeName(rcode)}", origin + 2, 2),
            DecodedField.Leaf("questions", counts[0].ToString(), origin + 4, 2),
            DecodedField.Leaf("answers", counts[1].ToString(), origin + 6, 2),
            DecodedField.Leaf("authority", counts[2].ToString(), origin + 8, 2),
            DecodedField.Leaf("additional", counts[3].ToString(), origin + 10, 2),
        ]));

        var at = 12;
        string? question = null;
        var answers = new List<string>();
        string[] sections = ["questions", "answers", "authority", "additional"];
        for (var section = 0; section < 4; section++)
        {
            var records = new List<DecodedField>();
            var start = at;
            try
            {
                for (var i = 0; i < counts[section]; i++)
                {
                    var recordStart = at;
                    var name = DomainName(dns, ref at);
                    var type = BinaryPrimitives.ReadUInt16BigEndian(dns[at..]);
                    var klass = BinaryPrimitives.ReadUInt16BigEndian(dns[(at + 2)..]);
                    at += 4;
                    if (section == 0)
                    {
                        question ??= $"{TypeName(type)} {name}";
                        records.Add(DecodedField.Leaf("question", $"{name} {TypeName(type)}{(klass == 1 ? "" : $" class {klass}")}", origin + recordStart, at - recordStart));
                        continue;
                    }

                    var ttl = BinaryPrimitives.ReadUInt32BigEndian(dns[at..]);
                    var length = BinaryPrimitives.ReadUInt16BigEndian(dns[(at + 4)..]);
                    at += 6;
                    if (at + length > dns.Length)
                    {
                        throw new DecodeException($"record data of {length} bytes runs past the message", at - 2);
                    }

                    var data = Data(dns, at, length, type);
                    at += length;
                    if (section == 1)
                    {
                        answers.Add(data);
                    }

                    var display = type == 41 ? $"EDNS, UDP size {klass}" : $"{name} {TypeName(type)} {data}, ttl {ttl}";
                    records.Add(DecodedField.Leaf(type == 41 ? "opt" : "record", display, origin + recordStart, at - recordStart));
                }
            }
            catch (DecodeException ex) when (origin > 0)
            {
                throw new DecodeException(ex.Message, ex.Offset + origin); // offsets above are into the DNS message; this is the whole one, length included
            }
            finally
            {
                if (records.Count > 0)
                {
                    fields.Add(new DecodedField(sections[section], $"{records.Count}", origin + start, at - start, records));
                }
            }
        }

        if (at < dns.Length)
        {
            fields.Add(DecodedField.Leaf("rest", $"{dns.Length - at} bytes after the records", origin + at, dns.Length - at));
        }

        question ??= "(no question)";
        if (!isResponse)
        {
            return $"query {question}";
        }

        if (rcode != 0)
        {
            return $"{RcodeName(rcode)} {question}";
        }

        return answers.Count switch
        {
            0 => $"{question} → no answer",
            1 => $"{question} → {answers[0]}",
            _ => $"{question} → {answers[0]} (+{answers.Count - 1} more)",
        };
    }

    private static string RcodeName(int rcode) => rcode < Codes.Length ? Codes[rcode] : $"rcode {rcode}";

    private static string TypeName(int type) => Types.GetValueOrDefault(type, $"TYPE{type}");

    private static string Data(ReadOnlySpan<byte> dns, int at, int length, int type)
    {
        var data = dns.Slice(at, length);
        switch (type)
        {
            case 1 when length == 4:
            case 28 when length == 16:
                return new IPAddress(data).ToString();
            case 2 or 5 or 12:
            {
                var inner = at;
                return DomainName(dns, ref inner);
            }

            case 15 when length > 2:
            {
                var inner = at + 2;
                return $"{BinaryPrimitives.ReadUInt16BigEndian(data)} {DomainName(dns, ref inner)}";
            }

            case 16:
            {
                var parts = new List<string>();
                for (var i = 0; i < data.Length; i += 1 + data[i])
                {
                    parts.Add("\"" + Encoding.UTF8.GetString(data.Slice(i + 1, data[i])) + "\"");
                }

                return string.Join(" ", parts);
            }

            default:
                return length == 0 ? "(empty)" : Convert.ToHexString(data[..Math.Min(length, 64)]) + (length > 64 ? "…" : "");
        }
    }

    /// <summary>A domain name at <paramref name="at"/> (which moves past it), following compression pointers.</summary>
    private static string DomainName(ReadOnlySpan<byte> dns, ref int at)
    {
        var labels = new List<string>();
        var position = at;
        var jumped = false;
        for (var jumps = 0; ;)
        {
            var length = dns[position];
            if (length == 0)
            {
                if (!jumped)
                {
                    at = position + 1;
                }

                break;
            }

            if ((length & 0xc0) == 0xc0)
            {
                if (++jumps > MaxJumps)
                {
                    throw new DecodeException("a name's compression pointers loop", position);
                }

                var target = ((length & 0x3f) << 8) | dns[position + 1];
                if (!jumped)
                {
                    at = position + 2;
                    jumped = true;
                }

                position = target;
                continue;
            }

            if ((length & 0xc0) != 0)
            {
                throw new DecodeException($"label length byte 0x{length:x2} is not a length or a pointer", position);
            }

            labels.Add(Encoding.ASCII.GetString(dns.Slice(position + 1, length)));
            position += 1 + length;
        }

        return labels.Count == 0 ? "." : string.Join('.', labels);
    }
}
