using System.Globalization;
using Gateway.Traffic;

namespace Gateway.Framing;

/// <summary>A validated framing: how a stream is cut into messages, each direction on its own.</summary>
internal sealed record FrameFormat(FramingMode Mode, byte[] Delimiter, int Offset, int Width, bool BigEndian, int Adjust)
{
    public static readonly FrameFormat Raw = new(FramingMode.Raw, [], 0, 0, true, 0);

    public const string Usage = "raw, line, len16, len32, {\"type\":\"delimiter\",\"hex\":\"0d0a\"} or {\"type\":\"length\",\"offset\":4,\"width\":2,\"endian\":\"big\",\"adjust\":0} (width 1, 2, 4 or \"varint\")";

    public bool IsRaw => Mode == FramingMode.Raw;

    /// <summary>A parser for one direction of one session, or null for raw (one message per read).</summary>
    public IFrameParser? CreateParser(int maxFrameBytes) => Mode switch
    {
        FramingMode.Line => new LineFrameParser(maxFrameBytes),
        FramingMode.Len16 => new LengthPrefixFrameParser(2, maxFrameBytes),
        FramingMode.Len32 => new LengthPrefixFrameParser(4, maxFrameBytes),
        FramingMode.Delimiter => new DelimiterFrameParser(Delimiter, maxFrameBytes),
        FramingMode.Length => new LengthFieldFrameParser(Offset, Width, BigEndian, Adjust, maxFrameBytes),
        _ => null,
    };

    /// <summary>Validates a framing as written; the error names what is wrong.</summary>
    public static bool TryParse(FramingSpec? spec, out FrameFormat format, out string error)
    {
        format = Raw;
        error = "";
        var type = spec?.Type?.Trim().ToLowerInvariant();
        if (spec is null || type is null or "" or "raw" || FramingModes.TryParse(type, out var named) && named is not (FramingMode.Delimiter or FramingMode.Length))
        {
            if (spec is not null && (spec.Hex is not null || spec.Offset is not null || spec.Width is not null || spec.Endian is not null || spec.Adjust is not null))
            {
                error = $"'{spec.Type}' framing takes no other fields (hex, offset, width, endian, adjust belong to delimiter and length)";
                return false;
            }

            FramingModes.TryParse(type, out var mode);
            format = mode == FramingMode.Raw ? Raw : Raw with { Mode = mode };
            return true;
        }

        if (type == "delimiter")
        {
            if (string.IsNullOrWhiteSpace(spec.Hex) || !PayloadEncoding.TryDecode(spec.Hex, PayloadEncoding.Hex, out var delimiter, out var why) || delimiter.Length == 0)
            {
                error = $"delimiter framing needs hex, the bytes that end a message (e.g. \"0d0a\"){(spec.Hex is null ? "" : $": '{spec.Hex}' is not hex")}";
                return false;
            }

            format = Raw with { Mode = FramingMode.Delimiter, Delimiter = delimiter };
            return true;
        }

        if (type != "length")
        {
            error = $"'{spec.Type}' is not a framing: use {Usage}";
            return false;
        }

        var width = spec.Width?.Trim().ToLowerInvariant() switch
        {
            "1" => 1,
            "2" => 2,
            "4" => 4,
            "varint" => LengthFieldFrameParser.Varint,
            _ => -1,
        };
        var offset = spec.Offset ?? 0;
        var endian = spec.Endian?.Trim().ToLowerInvariant();
        if (width < 0)
        {
            error = $"length framing needs width 1, 2, 4 or \"varint\" (was {spec.Width ?? "missing"})";
        }
        else if (offset is < 0 or > 1024)
        {
            error = $"length framing's offset must be between 0 and 1024 (was {offset.ToString(CultureInfo.InvariantCulture)})";
        }
        else if (endian is not (null or "big" or "little"))
        {
            error = $"length framing's endian must be big or little (was {spec.Endian})";
        }
        else if (spec.Adjust is < -65536 or > 65536)
        {
            error = $"length framing's adjust must be between -65536 and 65536 (was {spec.Adjust})";
        }

        if (error.Length > 0)
        {
            return false;
        }

        format = new FrameFormat(FramingMode.Length, [], offset, width, endian != "little", spec.Adjust ?? 0);
        return true;
    }

    /// <summary>As the API shows it: the name, or the object for delimiter and length.</summary>
    public FramingSpec ToSpec() => Mode switch
    {
        FramingMode.Delimiter => new FramingSpec { Type = "delimiter", Hex = Convert.ToHexStringLower(Delimiter) },
        FramingMode.Length => new FramingSpec
        {
            Type = "length", Offset = Offset, Width = Width == LengthFieldFrameParser.Varint ? "varint" : Width.ToString(CultureInfo.InvariantCulture),
            Endian = BigEndian ? "big" : "little", Adjust = Adjust,
        },
        _ => FramingSpec.Named(Mode.ToString().ToLowerInvariant()),
    };
}
