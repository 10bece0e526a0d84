using System.Buffers;

namespace Gateway.Framing;

/// <summary>
/// One message per delimiter-terminated run of bytes, the delimiter kept (<c>line</c> is the delimiter
/// <c>0a</c>). A run longer than the maximum is cut into messages of the maximum size, so a peer that
/// never sends the delimiter cannot grow the buffer.
/// </summary>
internal sealed class DelimiterFrameParser(byte[] delimiter, int maxFrameBytes) : IFrameParser
{
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out ReadOnlySequence<byte> _, delimiter, advancePastDelimiter: true) && reader.Consumed <= maxFrameBytes)
        {
            frame = buffer.Slice(0, reader.Position);
            buffer = buffer.Slice(frame.End);
            return true;
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

    /// <summary>Injected bytes go as written: the user includes the delimiter where one is wanted.</summary>
    public byte[] Encode(byte[] payload) => payload;
}
