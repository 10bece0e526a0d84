using System.Text;
using Gateway.Capture;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Api;

internal static class MessageEndpoints
{
    public static RouteGroupBuilder MapMessageEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/messages", async (
                long? sessionId, string? listenerId, string? direction, string? contains, string? hex, string? tag, string? summary,
                DateTimeOffset? from, DateTimeOffset? to, long? afterSeq, long? beforeSeq, string? order, int? limit,
                SessionHistory history, HttpContext context, CancellationToken cancellationToken) =>
            {
                var query = Query(sessionId, listenerId, direction, contains, hex, tag, summary, from, to, afterSeq, beforeSeq, order, limit);
                if (context.RequestServices.GetService<Cluster.ClusterView>() is not { } cluster)
                {
                    return await history.FindAsync(query, cancellationToken);
                }

                // In a cluster: a live node's session from that node; a lost node's from the shared history; no session: every node's.
                var shared = context.RequestServices.GetRequiredService<Cluster.ClusterHistory>();
                if (sessionId is { } id && cluster.IsRemote(id))
                {
                    try
                    {
                        return await cluster.FindMessagesAsync(id, context.Request.QueryString.Value ?? "");
                    }
                    catch (CommandException unavailable) when (unavailable.StatusCode == StatusCodes.Status503ServiceUnavailable)
                    {
                        return await shared.FindSharedAsync(query, cancellationToken);
                    }
                }

                return sessionId is null ? await shared.FindAsync(query, cancellationToken) : await history.FindAsync(query, cancellationToken);
            })
            .WithTags("History")
            .WithSummary("Searches captured messages across sessions. contains matches UTF-8 text, hex matches bytes (both case-sensitive), tag a label given by a tag rule, summary text in a decoder's summary (any case); "
                + "from/to are ISO 8601 times. order=desc (default, newest first; page on with beforeSeq) or asc (by seq; page on with afterSeq). "
                + "At most limit (default and max 1000) and about Gateway:Capture:PageBytes of payload per page. In a cluster, without sessionId, every node's (the shared history).")
            .Produces<MessageInfo[]>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    /// <summary>The search <c>GET /api/messages</c> asks for; a 400 naming what is wrong.</summary>
    public static MessageQuery Query(long? sessionId, string? listenerId, string? direction, string? contains, string? hex, string? tag, string? summary,
        DateTimeOffset? from, DateTimeOffset? to, long? afterSeq, long? beforeSeq, string? order, int? limit) => new()
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
        };

    /// <summary>The same from a request's query string (as a cluster node passes a search on to the session's owner).</summary>
    public static MessageQuery QueryFrom(string queryString)
    {
        var p = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(queryString);
        string? Get(string name) => p.TryGetValue(name, out var v) ? v.ToString() : null;
        long? Long(string name) => Get(name) is { } t ? long.TryParse(t, out var n) ? n : throw CommandException.BadInput($"'{name}' must be a number (was '{t}').") : null;
        DateTimeOffset? Time(string name) => Get(name) is { } t
            ? DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var at) ? at : throw CommandException.BadInput($"'{name}' must be an ISO 8601 time (was '{t}').")
            : null;
        return Query(Long("sessionId"), Get("listenerId"), Get("direction"), Get("contains"), Get("hex"), Get("tag"), Get("summary"),
            Time("from"), Time("to"), Long("afterSeq"), Long("beforeSeq"), Get("order"), (int?)Long("limit"));
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
