using System.Buffers.Binary;
using System.Text;

namespace Gateway.Capture.Export;

/// <summary>
/// Writes the pcapng blocks a capture file needs (IETF draft-ietf-opsawg-pcapng): one Section Header,
/// one Interface Description (raw IP packets, microsecond timestamps) and Enhanced Packet Blocks, with
/// comments. Little-endian, as the byte-order magic declares.
/// </summary>
internal sealed class PcapngWriter(Stream output)
{
    /// <summary>LINKTYPE_RAW: each packet starts with its IPv4 or IPv6 header.</summary>
    private const ushort LinkTypeRaw = 101;
    private const int SnapLength = 262_144;
    private const ushort OptEnd = 0;
    private const ushort OptComment = 1;
    private const ushort OptShbUserApplication = 4;
    private const ushort OptIfName = 2;

    /// <summary>Packets written so far: the frame number (from 1) Wireshark gives the last one.</summary>
    public int Packets { get; private set; }

    public async Task WriteHeaderAsync(CancellationToken cancellationToken)
    {
        var shb = new BlockBuilder(0x0A0D0D0A);
        shb.UInt32(0x1A2B3C4D);
        shb.UInt16(1);
        shb.UInt16(0);
        shb.Int64(-1); // section length not given: the file is streamed
        shb.Option(OptShbUserApplication, "Socket Gateway");
        shb.EndOptions();
        await output.WriteAsync(shb.Build(), cancellationToken).ConfigureAwait(false);

        var idb = new BlockBuilder(1);
        idb.UInt16(LinkTypeRaw);
        idb.UInt16(0);
        idb.UInt32(SnapLength);
        idb.Option(OptIfName, "gateway");
        idb.EndOptions();
        await output.WriteAsync(idb.Build(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One packet; <paramref name="originalLength"/> is larger than the data when the payload was not kept.</summary>
    public ValueTask WritePacketAsync(DateTimeOffset at, ReadOnlyMemory<byte> packet, int originalLength, string? comment, CancellationToken cancellationToken)
    {
        Packets++;
        var micros = (ulong)((at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        var epb = new BlockBuilder(6);
        epb.UInt32(0); // interface 0
        epb.UInt32((uint)(micros >> 32));
        epb.UInt32((uint)micros);
        epb.UInt32((uint)packet.Length);
        epb.UInt32((uint)originalLength);
        epb.Bytes(packet.Span);
        epb.Pad();
        if (comment is not null)
        {
            epb.Option(OptComment, comment);
            epb.EndOptions();
        }

        return output.WriteAsync(epb.Build(), cancellationToken);
    }

    /// <summary>A block: type, total length, body, total length again; the body padded to 32 bits.</summary>
    private sealed class BlockBuilder(uint type)
    {
        private readonly MemoryStream _body = new();

        public void UInt16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            _body.Write(b);
        }

        public void UInt32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            _body.Write(b);
        }

        public void Int64(long value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, value);
            _body.Write(b);
        }

        public void Bytes(ReadOnlySpan<byte> bytes) => _body.Write(bytes);

        public void Pad()
        {
            while (_body.Length % 4 != 0)
            {
                _body.WriteByte(0);
            }
        }

        public void Option(ushort code, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            UInt16(code);
            UInt16((ushort)bytes.Length);
            Bytes(bytes);
            Pad();
        }

        public void EndOptions()
        {
            UInt16(OptEnd);
            UInt16(0);
        }

        public byte[] Build()
        {
            var total = (uint)(_body.Length + 12);
            var block = new byte[total];
            BinaryPrimitives.WriteUInt32LittleEndian(block, type);
            BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(4), total);
            _body.GetBuffer().AsSpan(0, (int)_body.Length).CopyTo(block.AsSpan(8));
            BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan((int)total - 4), total);
            return block;
        }
    }
}
