namespace Gateway.Framing;

/// <summary>How a stream session's bytes are cut into messages.</summary>
public enum FramingMode
{
    /// <summary>One message per read (the default).</summary>
    Raw,

    /// <summary>One message per <c>\n</c>-terminated line, terminator kept.</summary>
    Line,

    /// <summary>Big-endian 16-bit length prefix; the message is the payload without the prefix.</summary>
    Len16,

    /// <summary>Big-endian 32-bit length prefix; the message is the payload without the prefix.</summary>
    Len32,

    /// <summary>Any byte sequence ends a message (kept with it).</summary>
    Delimiter,

    /// <summary>A length field anywhere in a header; the message is the whole frame.</summary>
    Length,
}

internal static class FramingModes
{
    public const string Names = "raw, line, len16 or len32";

    /// <summary>The named framings (<see cref="Names"/>); delimiter and length need their fields, see <see cref="FrameFormat"/>.</summary>

    public static bool TryParse(string? value, out FramingMode mode)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "raw":
                mode = FramingMode.Raw;
                return true;
            case "line":
                mode = FramingMode.Line;
                return true;
            case "len16":
                mode = FramingMode.Len16;
                return true;
            case "len32":
                mode = FramingMode.Len32;
                return true;
            case "delimiter":
                mode = FramingMode.Delimiter;
                return true;
            case "length":
                mode = FramingMode.Length;
                return true;
            default:
                mode = default;
                return false;
        }
    }
}
