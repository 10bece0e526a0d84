using System.Text.RegularExpressions;

namespace Gateway.Decoding;

/// <summary>
/// Kaitai Struct layouts (<c>.ksy</c>) a listener carries for decoder <c>layout</c>. The dashboard compiles
/// and runs them (the Kaitai compiler is JavaScript); the server keeps the text and refuses what cannot be
/// a layout at all, so that the compiler's own errors are the ones a user reads.
/// </summary>
internal static partial class Layouts
{
    public const int MaxBytes = 256 * 1024;

    /// <summary>Why the text cannot be a layout, or null.</summary>
    public static string? Problem(string? ksy)
    {
        if (ksy is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(ksy))
        {
            return "the layout is empty: give the .ksy text (YAML with meta: id: and seq:).";
        }

        if (System.Text.Encoding.UTF8.GetByteCount(ksy) > MaxBytes)
        {
            return $"the layout is larger than {MaxBytes / 1024} KiB.";
        }

        return MetaLine().IsMatch(ksy) ? null : "a Kaitai Struct layout starts with a top-level 'meta:' section naming its id (meta: id: my_format).";
    }

    [GeneratedRegex(@"^meta\s*:", RegexOptions.Multiline)]
    private static partial Regex MetaLine();
}
