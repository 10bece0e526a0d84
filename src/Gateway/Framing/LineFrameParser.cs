using System.Buffers;

namespace Gateway.Framing;

/// <summary>
/// One message per <c>\n</c>-terminated line, the terminator kept. A line longer than the maximum is cut
/// into messages of the maximum size, so a peer that never sends <c>\n</c> cannot grow the buffer.
/// </summary>
internal sealed class LineFrameParser(int maxFrameBytes) : IFrameParser
{
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        var end = buffer.PositionOf((byte)'\n');
        if (end is { } newline)
        {
            var line = buffer.Slice(0, buffer.GetPosition(1, newline));
            if (line.Length <= maxFrameBytes)
            {
                frame = line;
                buffer = buffer.Slice(line.End);
                return true;
            }
        }

        if (buffer.Length >= maxFrameBytes)
        {
            frame = buffer.Slice(0, maxFrameBytes);
            buffer = buffer.Slice(frame.End);
            return true;
        }

        frame = default;
        return false;
    }

    public long MaxPayload => long.MaxValue;

    public byte[] Encode(byte[] payload) => payload;
}
