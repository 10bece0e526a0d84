using System.Globalization;
using System.Text;
using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>
/// HTTP/1.x requests and responses: start line, headers, body (by <c>Content-Length</c>, chunked, or — for a
/// response with neither — the rest of the message). Pipelined messages are read one after another.
/// </summary>
internal sealed class HttpDecoder : IMessageDecoder
{
    private const int MaxMessages = 64;
    private const int PreviewChars = 60;

    public string Name => "http";

    public string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context)
    {
        var offset = 0;
        var count = 0;
        string? first = null;
        while (offset < message.Length && count < MaxMessages)
        {
            var (summary, end) = ReadMessage(message, offset, fields);
            first ??= summary;
            count++;
            offset = end;
        }

        if (first is null)
        {
            throw new DecodeException("no HTTP message", 0);
        }

        if (offset < message.Length)
        {
            fields.Add(DecodedField.Leaf("not read", $"{message.Length - offset} more bytes after {MaxMessages} messages", offset, message.Length - offset));
        }

        return count == 1 ? first : $"{first} (+{count - 1} more)";
    }

    private static (string Summary, int End) ReadMessage(ReadOnlySpan<byte> message, int start, List<DecodedField> into)
    {
        var isResponse = message[start..].StartsWith("HTTP/"u8);
        var parts = new List<DecodedField>();
        var at = start;
        try
        {
            var (line, lineEnd) = Line(message, at, "the start line has no CRLF");
            var status = 0;
            var summary = isResponse ? StatusLine(line, at, parts, out status) : RequestLine(line, at, parts);
            at = lineEnd;

            var headers = new List<DecodedField>();
            long? contentLength = null;
            var chunked = false;
            string? contentType = null;
            var headersStart = at;
            while (true)
            {
                var (header, end) = Line(message, at, "the headers end before the blank line");
                if (header.Length == 0)
                {
                    at = end;
                    break;
                }

                var colon = header.IndexOf(':');
                if (colon <= 0)
                {
                    throw new DecodeException("a header line without a name and a colon", at);
                }

                var name = header[..colon];
                var value = header[(colon + 1)..].Trim();
                headers.Add(DecodedField.Leaf(name, value, at, end - at - 2));
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    contentLength = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                        ? n : throw new DecodeException($"Content-Length '{value}' is not a length", at);
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
                }
                else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    contentType = value;
                }

                at = end;
            }

            parts.Add(new DecodedField("headers", $"{headers.Count} header{(headers.Count == 1 ? "" : "s")}", headersStart, at - headersStart, headers));

            long bodyLength;
            if (chunked)
            {
                (bodyLength, at) = Chunks(message, at, parts);
            }
            else
            {
                bodyLength = contentLength
                    ?? (isResponse && status is not (>= 100 and < 200 or 204 or 304) ? message.Length - at : 0);
                if (bodyLength > message.Length - at)
                {
                    throw new DecodeException($"the body ends after {message.Length - at} of {bodyLength} bytes", message.Length);
                }

                if (bodyLength > 0)
                {
                    var body = message.Slice(at, (int)bodyLength);
                    parts.Add(DecodedField.Leaf("body", Describe(body, contentType), at, body.Length));
                    at += body.Length;
                }
            }

            if (bodyLength > 0 || isResponse)
            {
                summary += " " + Size(bodyLength);
            }

            into.Add(new DecodedField(isResponse ? "response" : "request", summary, start, at - start, parts));
            return (summary, at);
        }
        catch (DecodeException)
        {
            // Keep what was read: the message so far, up to where it stopped making sense.
            into.Add(new DecodedField(isResponse ? "response" : "request", "cut short", start, Math.Min(at, message.Length) - start, parts));
            throw;
        }
    }

    private static string RequestLine(string line, int at, List<DecodedField> parts)
    {
        var words = line.Split(' ');
        if (words.Length != 3 || words[0].Length == 0 || !words[0].All(char.IsAsciiLetterUpper) || !words[2].StartsWith("HTTP/", StringComparison.Ordinal))
        {
            throw new DecodeException("not an HTTP request line (METHOD target HTTP/1.x)", at);
        }

        parts.Add(new DecodedField("request line", line, at, line.Length,
        [
            DecodedField.Leaf("method", words[0], at, words[0].Length),
            DecodedField.Leaf("target", words[1], at + words[0].Length + 1, words[1].Length),
            DecodedField.Leaf("version", words[2], at + words[0].Length + words[1].Length + 2, words[2].Length),
        ]));
        return $"{words[0]} {words[1]}";
    }

    private static string StatusLine(string line, int at, List<DecodedField> parts, out int status)
    {
        var words = line.Split(' ', 3);
        if (words.Length < 2 || words[1].Length != 3 || !words[1].All(char.IsAsciiDigit))
        {
            throw new DecodeException("not an HTTP status line (HTTP/1.x code reason)", at);
        }

        status = int.Parse(words[1], CultureInfo.InvariantCulture);
        var reason = words.Length == 3 ? words[2] : "";
        parts.Add(new DecodedField("status line", line, at, line.Length,
        [
            DecodedField.Leaf("version", words[0], at, words[0].Length),
            DecodedField.Leaf("status", words[1], at + words[0].Length + 1, 3),
            DecodedField.Leaf("reason", reason, at + words[0].Length + 5, reason.Length),
        ]));
        return reason.Length == 0 ? words[1] : $"{words[1]} {reason}";
    }

    /// <summary>A chunked body: each chunk's size line, data and CRLF, then the last chunk and any trailers.</summary>
    private static (long Length, int End) Chunks(ReadOnlySpan<byte> message, int at, List<DecodedField> parts)
    {
        var start = at;
        var chunks = new List<DecodedField>();
        long total = 0;
        try
        {
            while (true)
            {
                var (sizeLine, dataStart) = Line(message, at, "a chunk size line has no CRLF");
                var hex = sizeLine.Split(';')[0].Trim();
                if (!int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                {
                    throw new DecodeException($"chunk size '{hex}' is not hexadecimal", at);
                }

                if (size == 0)
                {
                    var end = dataStart;
                    while (true)
                    {
                        var (trailer, next) = Line(message, end, "the chunked body ends before its final CRLF");
                        end = next;
                        if (trailer.Length == 0)
                        {
                            break;
                        }
                    }

                    chunks.Add(DecodedField.Leaf("last chunk", "0", at, end - at));
                    at = end;
                    break;
                }

                if (dataStart + (long)size + 2 > message.Length)
                {
                    throw new DecodeException($"a chunk ends after {Math.Max(0, message.Length - dataStart)} of {size} bytes", message.Length);
                }

                if (message[dataStart + size] != '\r' || message[dataStart + size + 1] != '\n')
                {
                    throw new DecodeException("a chunk's data is not followed by CRLF", dataStart + size);
                }

                chunks.Add(DecodedField.Leaf("chunk", $"{size} bytes", at, dataStart + size + 2 - at));
                total += size;
                at = dataStart + size + 2;
            }
        }
        finally
        {
            parts.Add(new DecodedField("body", $"chunked, {chunks.Count} chunk{(chunks.Count == 1 ? "" : "s")}, {Size(total)}", start, Math.Min(at, message.Length) - start, chunks));
        }

        return (total, at);
    }

    /// <summary>One line from <paramref name="at"/>, without its CRLF, and where the next line starts.</summary>
    private static (string Line, int Next) Line(ReadOnlySpan<byte> message, int at, string missing)
    {
        var length = message[at..].IndexOf("\r\n"u8);
        if (length < 0)
        {
            throw new DecodeException(missing, message.Length);
        }

        return (Encoding.Latin1.GetString(message.Slice(at, length)), at + length + 2);
    }

    private static string Describe(ReadOnlySpan<byte> body, string? contentType)
    {
        var kind = contentType is null ? "" : $"{contentType}, ";
        var text = contentType is not null && (contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || contentType.Contains("json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase));
        if (!text)
        {
            return $"{kind}{Size(body.Length)}";
        }

        var preview = Encoding.UTF8.GetString(body.Length > PreviewChars * 4 ? body[..(PreviewChars * 4)] : body).ReplaceLineEndings(" ");
        return $"{kind}{Size(body.Length)}: {(preview.Length > PreviewChars ? preview[..PreviewChars] + "…" : preview)}";
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1000 => $"{bytes} B",
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1000.0:0.#} kB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1_000_000.0:0.#} MB"),
    };
}
