using System.Text;
using Gateway.Capture;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Api;

internal static class MessageEndpoints
{
    public static RouteGroupBuilder MapMessageEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/messages", (
                long? sessionId, string? listenerId, string? direction, string? contains, string? hex, string? tag, string? summary,
                DateTimeOffset? from, DateTimeOffset? to, long? afterSeq, long? beforeSeq, string? order, int? limit,
                SessionHistory history, CancellationToken cancellationToken) =>
                history.FindAsync(new MessageQuery
                {
                    SessionId = sessionId,
                    ListenerId = string.IsNullOrWhiteSpace(listenerId) ? null : listenerId.Trim(),
                    Direction = ParseDirection(direction),
                    Patterns = Patterns(contains, hex),
                    Tag = string.IsNullOrWhiteSpace(tag) ? null : tag.Trim(),
                    Summary = string.IsNullOrWhiteSpace(summary) ? null : summary.Trim(),
                    From = from,
                    To = to,
                    AfterSeq = afterSeq,
                    BeforeSeq = beforeSeq,
                    Descending = ParseOrder(order),
                    Limit = limit ?? SessionHistory.MaxPage,
                }, cancellationToken))
            .WithTags("History")
            .WithSummary("Searches captured messages across sessions. contains matches UTF-8 text, hex matches bytes (both case-sensitive), tag a label given by a tag rule, summary text in a decoder's summary (any case); "
                + "from/to are ISO 8601 times. order=desc (default, newest first; page on with beforeSeq) or asc (by seq; page on with afterSeq). "
                + "At most limit (default and max 1000) and about Gateway:Capture:PageBytes of payload per page.")
            .Produces<MessageInfo[]>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static Direction? ParseDirection(string? direction) => direction?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "in" => Direction.In,
        "out" => Direction.Out,
        _ => throw CommandException.BadInput($"Unknown direction '{direction}': use in or out."),
    };

    private static bool ParseOrder(string? order) => order?.Trim().ToLowerInvariant() switch
    {
        null or "" or "desc" or "newest" => true,
        "asc" or "seq" => false,
        _ => throw CommandException.BadInput($"Unknown order '{order}': use desc (newest first) or asc (by seq)."),
    };

    private static List<byte[]> Patterns(string? contains, string? hex)
    {
        var patterns = new List<byte[]>();
        if (!string.IsNullOrEmpty(contains))
        {
            patterns.Add(Encoding.UTF8.GetBytes(contains));
        }

        if (!string.IsNullOrWhiteSpace(hex))
        {
            if (!PayloadEncoding.TryDecode(hex, PayloadEncoding.Hex, out var bytes, out var error))
            {
                throw CommandException.BadInput($"'hex': {error}");
            }

            if (bytes.Length > 0)
            {
                patterns.Add(bytes);
            }
        }

        return patterns;
    }
}
