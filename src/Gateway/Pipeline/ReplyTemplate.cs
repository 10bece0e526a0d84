using System.Text.RegularExpressions;
using Gateway.Traffic;

namespace Gateway.Pipeline;

/// <summary>
/// A reply's data with <c>$0</c>…<c>$9</c> standing for the regex's groups (<c>$$</c> is a dollar sign): the
/// literal parts decoded once (UTF-8, hex or base64), the groups inserted as the bytes they matched.
/// </summary>
internal sealed class ReplyTemplate
{
    private readonly List<(byte[]? Literal, int Group)> _parts = [];

    private ReplyTemplate()
    {
    }

    public bool HasGroups => _parts.Any(p => p.Literal is null);

    public static bool TryParse(string data, string? encoding, out ReplyTemplate template, out string error)
    {
        template = new ReplyTemplate();
        error = "";
        var literal = new System.Text.StringBuilder();
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == '$' && i + 1 < data.Length && (char.IsAsciiDigit(data[i + 1]) || data[i + 1] == '$'))
            {
                if (data[i + 1] == '$')
                {
                    literal.Append('$');
                }
                else
                {
                    if (!template.Flush(literal, encoding, out error))
                    {
                        return false;
                    }

                    template._parts.Add((null, data[i + 1] - '0'));
                }

                i++;
                continue;
            }

            literal.Append(data[i]);
        }

        return template.Flush(literal, encoding, out error);
    }

    public byte[] Render(Match? match)
    {
        var output = new List<byte>();
        foreach (var (literal, group) in _parts)
        {
            if (literal is not null)
            {
                output.AddRange(literal);
            }
            else if (match is not null && group < match.Groups.Count && match.Groups[group].Success)
            {
                output.AddRange(System.Text.Encoding.Latin1.GetBytes(match.Groups[group].Value));
            }
        }

        return [.. output];
    }

    private bool Flush(System.Text.StringBuilder literal, string? encoding, out string error)
    {
        error = "";
        if (literal.Length == 0)
        {
            return true;
        }

        if (!PayloadEncoding.TryDecode(literal.ToString(), encoding, out var bytes, out error))
        {
            return false;
        }

        _parts.Add((bytes, 0));
        literal.Clear();
        return true;
    }
}
