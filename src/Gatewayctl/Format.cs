using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gatewayctl;

/// <summary>How things look on a terminal: one line per message, aligned tables.</summary>
internal static class Format
{
    private const int PreviewBytes = 64;

    /// <summary><c>12:00:01.234  s7 #42  IN →   5 B  hello</c>: time, session, seq, direction, size, then the summary or a preview.</summary>
    public static string Message(JsonElement message, bool hex)
    {
        var at = message.TryGetProperty("at", out var a) && a.TryGetDateTimeOffset(out var time) ? time.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) : "";
        var inbound = message.GetProperty("direction").GetString() == "in";
        var data = message.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String ? Convert.FromBase64String(d.GetString()!) : [];
        var size = message.TryGetProperty("size", out var s) ? s.GetInt32() : data.Length;
        var shown = message.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.String
            ? summary.GetString()!
            : Preview(data, hex) + (size > Math.Min(data.Length, PreviewBytes) ? " …" : "");
        return $"{at}  s{message.GetProperty("sessionId").GetInt64()} #{message.GetProperty("seq").GetInt64()}  {(inbound ? "IN →" : "← OUT")}  {size,6} B  {shown}";
    }

    /// <summary>A summary that came after its message: <c>s7 #42  = SET user:1 "alice"</c>.</summary>
    public static string Summary(JsonElement decoded) =>
        $"              s{decoded.GetProperty("sessionId").GetInt64()} #{decoded.GetProperty("seq").GetInt64()}  = {decoded.GetProperty("summary").GetString()}";

    /// <summary>Text when it reads as text (control characters escaped), else hex.</summary>
    public static string Preview(ReadOnlySpan<byte> data, bool hex)
    {
        var cut = data[..Math.Min(data.Length, PreviewBytes)];
        if (hex || !System.Text.Unicode.Utf8.IsValid(cut) || cut.IndexOfAnyInRange((byte)0, (byte)8) >= 0)
        {
            return Convert.ToHexString(cut).ToLowerInvariant();
        }

        var text = new StringBuilder();
        foreach (var c in Encoding.UTF8.GetString(cut))
        {
            text.Append(c switch { '\r' => "\\r", '\n' => "\\n", '\t' => "\\t", < ' ' => $"\\x{(int)c:x2}", _ => c.ToString() });
        }

        return text.ToString();
    }

    public static string Table(JsonElement rows, params (string Header, Func<JsonElement, string> Cell)[] columns)
    {
        var lines = new List<string[]> { columns.Select(c => c.Header).ToArray() };
        lines.AddRange(rows.EnumerateArray().Select(row => columns.Select(c => c.Cell(row)).ToArray()));
        var widths = columns.Select((_, i) => lines.Max(l => l[i].Length)).ToArray();
        return string.Join('\n', lines.Select(l => string.Join("  ", l.Select((cell, i) => i == l.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd()));
    }
}
