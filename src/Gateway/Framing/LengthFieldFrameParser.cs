using System.Buffers;

namespace Gateway.Framing;

/// <summary>
/// Frames whose header holds their length somewhere: after <c>offset</c> bytes, a field of 1, 2 or 4 bytes
/// (big- or little-endian) or a varint (MQTT's 7-bit groups, up to 4 bytes). The frame is
/// <c>offset + field bytes + value + adjust</c> bytes long, and the message is the whole frame, header
/// included. Modbus/TCP: offset 4, width 2; MQTT: offset 1, varint.
/// </summary>
internal sealed class LengthFieldFrameParser(int offset, int width, bool bigEndian, int adjust, int maxFrameBytes) : IFrameParser
{
    /// <summary>The <c>width</c> of a varint field.</summary>
    public const int Varint = 0;

    public bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (!TryReadLength(buffer, out var fieldBytes, out var value))
        {
            return false;
        }

        var total = offset + fieldBytes + value + adjust;
        if (total < offset + fieldBytes)
        {
            throw new FrameTooLargeException($"frame declares a length of {value} with adjust {adjust}: shorter than its own header");
        }

        if (total > maxFrameBytes)
        {
            throw new FrameTooLargeException($"frame declares {total} bytes, more than Gateway:Framing:MaxFrameBytes ({maxFrameBytes})");
        }

        if (buffer.Length < total)
        {
            return false;
        }

        frame = buffer.Slice(0, total);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    public long MaxPayload => maxFrameBytes;

    /// <summary>Injected bytes go as written: a whole frame, header included.</summary>
    public byte[] Encode(byte[] payload) => payload;

    private bool TryReadLength(in ReadOnlySequence<byte> buffer, out int fieldBytes, out long value)
    {
        value = 0;
        fieldBytes = width;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryAdvance(offset))
        {
            return false;
        }

        if (width == Varint)
        {
            for (fieldBytes = 1; fieldBytes <= 4; fieldBytes++)
            {
                if (!reader.TryRead(out var b))
                {
                    return false;
                }

                value |= (long)(b & 0x7f) << (7 * (fieldBytes - 1));
                if ((b & 0x80) == 0)
                {
                    return true;
                }
            }

            throw new FrameTooLargeException("a varint length field runs past 4 bytes");
        }

        Span<byte> field = stackalloc byte[4];
        if (!reader.TryCopyTo(field[..width]))
        {
            return false;
        }

        for (var i = 0; i < width; i++)
        {
            value |= (long)field[bigEndian ? i : width - 1 - i] << (8 * (width - 1 - i));
        }

        return true;
    }
}

internal static class SequenceReaderExtensions
{
    public static bool TryAdvance(this ref SequenceReader<byte> reader, long count)
    {
        if (reader.Remaining < count)
        {
            return false;
        }

        reader.Advance(count);
        return true;
    }
}
