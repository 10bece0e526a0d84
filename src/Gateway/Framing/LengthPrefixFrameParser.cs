using System.Buffers;
using System.Buffers.Binary;

namespace Gateway.Framing;

/// <summary>Frames with a big-endian length prefix of 2 (<c>len16</c>) or 4 (<c>len32</c>) bytes.</summary>
internal sealed class LengthPrefixFrameParser : IFrameParser
{
    private readonly int _prefixBytes;
    private readonly int _maxFrameBytes;

    public LengthPrefixFrameParser(int prefixBytes, int maxFrameBytes)
    {
        if (prefixBytes is not (2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(prefixBytes), prefixBytes, "2 or 4");
        }

        _prefixBytes = prefixBytes;
        _maxFrameBytes = maxFrameBytes;
    }

    /// <summary>Largest payload one frame can carry: the prefix's range, or the configured maximum.</summary>
    public long MaxPayload => Math.Min(_prefixBytes == 2 ? ushort.MaxValue : uint.MaxValue, _maxFrameBytes);

    public bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < _prefixBytes)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, _prefixBytes).CopyTo(prefix);
        long length = _prefixBytes == 2
            ? BinaryPrimitives.ReadUInt16BigEndian(prefix)
            : BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length > _maxFrameBytes)
        {
            throw new FrameTooLargeException(
                $"frame declares {length} bytes, more than Gateway:Framing:MaxFrameBytes ({_maxFrameBytes})");
        }

        if (buffer.Length < _prefixBytes + length)
        {
            return false;
        }

        frame = buffer.Slice(_prefixBytes, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    public byte[] Encode(byte[] payload)
    {
        if (payload.Length > MaxPayload)
        {
            throw new FrameTooLargeException($"payload of {payload.Length} bytes does not fit one frame (at most {MaxPayload})");
        }

        var framed = new byte[_prefixBytes + payload.Length];
        if (_prefixBytes == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)payload.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)payload.Length);
        }

        payload.CopyTo(framed, _prefixBytes);
        return framed;
    }
}
