using System.Text;

namespace Gateway.Traffic;

/// <summary>Turns the text a user types (utf8, hex or base64) into the bytes to inject.</summary>
internal static class PayloadEncoding
{
    public const string Utf8 = "utf8";
    public const string Hex = "hex";
    public const string Base64 = "base64";

    public static readonly string[] Names = [Utf8, Hex, Base64];

    /// <summary>Decodes <paramref name="data"/>; on failure <paramref name="error"/> says what is wrong and where.</summary>
    public static bool TryDecode(string? data, string? encoding, out byte[] bytes, out string error)
    {
        bytes = [];
        error = "";
        if (data is null)
        {
            error = "'data' is required.";
            return false;
        }

        switch (string.IsNullOrWhiteSpace(encoding) ? Utf8 : encoding.Trim().ToLowerInvariant())
        {
            case Utf8 or "utf-8" or "text":
                bytes = Encoding.UTF8.GetBytes(data);
                return true;
            case Hex:
                return TryDecodeHex(data, out bytes, out error);
            case Base64:
                return TryDecodeBase64(data, out bytes, out error);
            default:
                error = $"Unknown encoding '{encoding}': use utf8, hex or base64.";
                return false;
        }
    }

    /// <summary>Hex digits, optionally grouped with spaces, ':' or '-', with an optional leading 0x.</summary>
    private static bool TryDecodeHex(string data, out byte[] bytes, out string error)
    {
        bytes = [];
        var text = data.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }

        var digits = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsAsciiHexDigit(c))
            {
                digits.Append(c);
            }
            else if (!(char.IsWhiteSpace(c) || c is ':' or '-'))
            {
                error = $"Invalid hex: '{c}' at position {i} is not a hex digit.";
                return false;
            }
        }

        if (digits.Length % 2 != 0)
        {
            error = $"Invalid hex: {digits.Length} digits is an odd count; every byte takes two.";
            return false;
        }

        bytes = Convert.FromHexString(digits.ToString());
        error = "";
        return true;
    }

    private static bool TryDecodeBase64(string data, out byte[] bytes, out string error)
    {
        var text = data.Trim();
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(text, buffer, out var written))
        {
            bytes = buffer[..written];
            error = "";
            return true;
        }

        bytes = [];
        error = "Invalid base64: the text is not valid base64 (RFC 4648, with padding).";
        return false;
    }
}
