namespace Gateway.Framing;

internal static class FrameParsers
{
    /// <summary>The parser for a mode, or null for <see cref="FramingMode.Raw"/> (one message per read).</summary>
    public static IFrameParser? For(FramingMode mode, int maxFrameBytes) => mode switch
    {
        FramingMode.Line => new LineFrameParser(maxFrameBytes),
        FramingMode.Len16 => new LengthPrefixFrameParser(2, maxFrameBytes),
        FramingMode.Len32 => new LengthPrefixFrameParser(4, maxFrameBytes),
        _ => null,
    };
}
