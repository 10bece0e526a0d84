using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Capture.Export;

/// <summary>
/// Builds IPv4/IPv6 packets carrying TCP segments or UDP datagrams, with correct lengths and checksums
/// (RFC 791, 8200, 9293, 768). When the payload was not kept (metadata capture), the headers still
/// declare its size and only they are returned: the packet then reads as cut by the snap length.
/// </summary>
internal static class Packets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    private const int TcpHeader = 20;
    private const int UdpHeader = 8;

    /// <param name="size">The payload's real size; <paramref name="payload"/> is empty when it was not kept.</param>
    public static (byte[] Packet, int OriginalLength) Tcp(IPEndPoint from, IPEndPoint to, uint seq, uint ack, byte flags, ReadOnlySpan<byte> payload, int size)
    {
        var kept = payload.Length == size;
        var segment = new byte[TcpHeader + (kept ? size : 0)];
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(0), (ushort)from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)to.Port);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), ack);
        segment[12] = (TcpHeader / 4) << 4;
        segment[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), 65535); // window
        if (kept)
        {
            payload.CopyTo(segment.AsSpan(TcpHeader));
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), Checksum(from.Address, to.Address, ProtocolType.Tcp, segment));
        }

        return Ip(from.Address, to.Address, ProtocolType.Tcp, segment, TcpHeader + size);
    }

    public static (byte[] Packet, int OriginalLength) Udp(IPEndPoint from, IPEndPoint to, ReadOnlySpan<byte> payload, int size)
    {
        var kept = payload.Length == size;
        var datagram = new byte[UdpHeader + (kept ? size : 0)];
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(0), (ushort)from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), (ushort)to.Port);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)(UdpHeader + size));
        if (kept)
        {
            payload.CopyTo(datagram.AsSpan(UdpHeader));
            var sum = Checksum(from.Address, to.Address, ProtocolType.Udp, datagram);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(6), sum == 0 ? (ushort)0xFFFF : sum);
        }

        return Ip(from.Address, to.Address, ProtocolType.Udp, datagram, UdpHeader + size);
    }

    /// <summary>The largest transport payload one packet may carry in <paramref name="family"/>, for a transport header of <paramref name="header"/> bytes.</summary>
    public static int MaxPayload(AddressFamily family, int header) =>
        family == AddressFamily.InterNetwork ? ushort.MaxValue - 20 - header : ushort.MaxValue - header;

    public static int MaxTcpPayload(AddressFamily family) => MaxPayload(family, TcpHeader);

    private static (byte[] Packet, int OriginalLength) Ip(IPAddress from, IPAddress to, ProtocolType protocol, byte[] transport, int transportLength)
    {
        if (from.AddressFamily == AddressFamily.InterNetwork)
        {
            var packet = new byte[20 + transport.Length];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(20 + transportLength));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0x4000); // don't fragment
            packet[8] = 64;
            packet[9] = (byte)protocol;
            from.TryWriteBytes(packet.AsSpan(12), out _);
            to.TryWriteBytes(packet.AsSpan(16), out _);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Fold(Sum(packet.AsSpan(0, 20))));
            transport.CopyTo(packet, 20);
            return (packet, 20 + transportLength);
        }

        var v6 = new byte[40 + transport.Length];
        v6[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(4), (ushort)transportLength);
        v6[6] = (byte)protocol;
        v6[7] = 64;
        from.TryWriteBytes(v6.AsSpan(8), out _);
        to.TryWriteBytes(v6.AsSpan(24), out _);
        transport.CopyTo(v6, 40);
        return (v6, 40 + transportLength);
    }

    /// <summary>The transport checksum: over the pseudo-header (addresses, protocol, length) and the whole segment.</summary>
    private static ushort Checksum(IPAddress from, IPAddress to, ProtocolType protocol, ReadOnlySpan<byte> segment)
    {
        Span<byte> addresses = stackalloc byte[32];
        from.TryWriteBytes(addresses, out var length);
        to.TryWriteBytes(addresses[length..], out _);
        var sum = Sum(addresses[..(2 * length)]) + (ulong)protocol + (ulong)segment.Length;
        return Fold(sum + Sum(segment));
    }

    /// <summary>Sum of 16-bit big-endian words (odd length padded with a zero byte), not yet folded.</summary>
    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += (ulong)((data[i] << 8) | data[i + 1]);
        }

        if (i < data.Length)
        {
            sum += (ulong)(data[i] << 8);
        }

        return sum;
    }

    private static ushort Fold(ulong sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
