using System.Buffers.Binary;
using System.Text;

namespace Gateway.Tls;

/// <summary>
/// What a TLS client asks for in its ClientHello: the server name (SNI) and the application protocols it
/// offers (ALPN). Read from the first handshake record before any handshake starts, so that the upstream
/// can be asked the same (.NET's server handshake does not tell the offered protocols).
/// </summary>
internal sealed record ClientHello(string? ServerName, IReadOnlyList<string> Protocols)
{
    /// <summary>A record header plus the largest ClientHello this reads (enough for every real client).</summary>
    public const int MaxBytes = 5 + 16 * 1024;

    /// <summary>
    /// Parses the start of a TLS stream. Null while more bytes are needed (<paramref name="needed"/> says how
    /// many in all); throws <see cref="FormatException"/> when it is not a ClientHello.
    /// </summary>
    public static ClientHello? TryParse(ReadOnlySpan<byte> data, out int needed)
    {
        needed = 5;
        if (data.Length < 5)
        {
            return null;
        }

        if (data[0] != 0x16)
        {
            throw new FormatException($"not a TLS handshake record (first byte 0x{data[0]:x2})");
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
        needed = 5 + length;
        if (needed > MaxBytes)
        {
            throw new FormatException($"a ClientHello record of {length} bytes is larger than this gateway reads");
        }

        if (data.Length < needed)
        {
            return null;
        }

        var hello = data[5..needed];
        if (hello.Length < 4 || hello[0] != 0x01)
        {
            throw new FormatException("the first handshake message is not a ClientHello");
        }

        var reader = new Reader(hello[4..Math.Min(hello.Length, 4 + ((hello[1] << 16) | (hello[2] << 8) | hello[3]))]);
        reader.Skip(2 + 32);          // version, random
        reader.Skip(reader.Byte());   // session id
        reader.Skip(reader.UInt16()); // cipher suites
        reader.Skip(reader.Byte());   // compression methods
        string? name = null;
        var protocols = new List<string>();
        if (reader.Remaining == 0)
        {
            return new ClientHello(null, protocols);
        }

        var extensions = new Reader(reader.Bytes(reader.UInt16()));
        while (extensions.Remaining >= 4)
        {
            var type = extensions.UInt16();
            var body = new Reader(extensions.Bytes(extensions.UInt16()));
            if (type == 0 && body.Remaining >= 2) // server_name: a list of (type, name)
            {
                var list = new Reader(body.Bytes(body.UInt16()));
                while (list.Remaining >= 3)
                {
                    var kind = list.Byte();
                    var value = list.Bytes(list.UInt16());
                    if (kind == 0)
                    {
                        name = Encoding.ASCII.GetString(value);
                    }
                }
            }
            else if (type == 16 && body.Remaining >= 2) // application_layer_protocol_negotiation
            {
                var list = new Reader(body.Bytes(body.UInt16()));
                while (list.Remaining >= 1)
                {
                    protocols.Add(Encoding.ASCII.GetString(list.Bytes(list.Byte())));
                }
            }
        }

        return new ClientHello(name, protocols);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly int Remaining => _rest.Length;

        public byte Byte() => Bytes(1)[0];

        public int UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2));

        public void Skip(int count) => Bytes(count);

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count > _rest.Length)
            {
                throw new FormatException("the ClientHello is cut short");
            }

            var taken = _rest[..count];
            _rest = _rest[count..];
            return taken;
        }
    }
}
