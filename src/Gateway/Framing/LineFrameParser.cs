using System.Buffers;

namespace Gateway.Framing;

/// <summary>One message per <c>\n</c>-terminated line, the terminator kept: the delimiter framing with <c>0a</c>.</summary>
internal sealed class LineFrameParser(int maxFrameBytes) : IFrameParser
{
    private readonly DelimiterFrameParser _lines = new([(byte)'\n'], maxFrameBytes);

    public bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame) => _lines.TryRead(ref buffer, out frame);

    public long MaxPayload => _lines.MaxPayload;

    public byte[] Encode(byte[] payload) => payload;
}
