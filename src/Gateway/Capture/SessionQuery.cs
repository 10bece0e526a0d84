using System.Text;
using System.Text.Json;
using Gateway.Sessions;

namespace Gateway.Capture;

/// <summary>
/// A page of sessions, filtered and sorted on the server (<c>GET /api/sessions?q=&amp;kind=&amp;sort=&amp;limit=&amp;cursor=</c>):
/// live ones and stored ones under one order, paged by a cursor that holds the last row's sort value and id
/// (keyset paging: a page never repeats or skips a row because rows were added before it).
/// </summary>
internal sealed record SessionQuery
{
    public string? ListenerId { get; init; }

    public bool Open { get; init; } = true;

    public bool Closed { get; init; }

    /// <summary>Text found (any case) in the remote, local or upstream address, the listener, the close reason, a tag or a message's summary.</summary>
    public string? Text { get; init; }

    /// <summary>Sessions one of whose messages' summaries holds <see cref="Text"/> (read from the store before the live sessions are matched).</summary>
    public IReadOnlySet<long> SummaryMatches { get; init; } = new HashSet<long>();

    public SessionKind? Kind { get; init; }

    /// <summary>A tag a person gave the session (its <c>annotations</c>).</summary>
    public string? Tag { get; init; }

    public SessionSort Sort { get; init; } = SessionSort.NewestFirst;

    public int Limit { get; init; } = 1000;

    public SessionCursor? After { get; init; }

    /// <summary>The query <c>GET /api/sessions</c> asks for with q, kind, tag, sort or cursor; a 400 naming what is wrong.</summary>
    public static SessionQuery Parse(string? listenerId, string? state, int? limit, string? q, string? kind, string? tag, string? sort, string? cursor)
    {
        var order = SessionSort.Parse(sort);
        var (open, closed) = States(state, whenAbsent: "all");
        return new SessionQuery
        {
            ListenerId = listenerId, Open = open, Closed = closed, Text = string.IsNullOrWhiteSpace(q) ? null : q.Trim(),
            Kind = kind is null ? null : Enum.TryParse<SessionKind>(kind, ignoreCase: true, out var k) && Enum.IsDefined(k) ? k
                : throw CommandException.BadInput($"Unknown kind '{kind}': use accepted, outbound or relay."),
            Tag = string.IsNullOrWhiteSpace(tag) ? null : tag.Trim(),
            Sort = order, Limit = limit ?? 100, After = cursor is null ? null : SessionCursor.Decode(cursor, order),
        };
    }

    /// <summary>The same from a request's query string (as a cluster node passes it on to the others).</summary>
    public static SessionQuery FromQueryString(string queryString)
    {
        var p = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(queryString);
        string? Get(string name) => p.TryGetValue(name, out var v) ? v.ToString() : null;
        var limit = Get("limit") is { } text ? int.TryParse(text, out var n) ? n : throw CommandException.BadInput($"'limit' must be a number (was '{text}').") : (int?)null;
        return Parse(Get("listenerId"), Get("state"), limit, Get("q"), Get("kind"), Get("tag"), Get("sort"), Get("cursor"));
    }

    /// <summary>Which states <c>state=</c> asks for (<c>open</c>, <c>closed</c> or <c>all</c>; <paramref name="whenAbsent"/> when not given); a 400 otherwise.</summary>
    public static (bool Open, bool Closed) States(string? state, string whenAbsent) =>
        (string.IsNullOrWhiteSpace(state) ? whenAbsent : state.Trim().ToLowerInvariant()) switch
        {
            "open" => (true, false),
            "closed" => (false, true),
            "all" => (true, true),
            _ => throw CommandException.BadInput($"Unknown state '{state}': use open, closed or all."),
        };

    /// <summary>Whether a session matches everything but the cursor, as the SQL does for stored ones.</summary>
    public bool Matches(SessionInfo session) =>
        (ListenerId is null || string.Equals(session.ListenerId, ListenerId, StringComparison.OrdinalIgnoreCase))
        && (Kind is null || session.Kind == Kind)
        && (Text is null || Searchable(session).Contains(Text, StringComparison.OrdinalIgnoreCase) || SummaryMatches.Contains(session.Id))
        && (Tag is null || session.Annotations?.Tags.Contains(Tag, StringComparer.Ordinal) == true);

    /// <summary>Whether a session comes after the cursor in this query's order.</summary>
    public bool IsAfterCursor(SessionInfo session) => After is not { } after || Sort.Compare(Sort.KeyOf(session), session.Id, after.Value, after.Id) > 0;

    private static string Searchable(SessionInfo s) => $"{s.Remote} {s.Local} {s.Upstream} {s.ListenerId} {s.CloseReason} {string.Join(' ', s.Annotations?.Tags ?? [])}";
}

/// <summary>What sessions are sorted by: one field, then id, ascending or descending (<c>sort=-bytesIn</c>).</summary>
internal sealed record SessionSort(string Field, string Column, bool Descending, bool Text)
{
    public static readonly SessionSort NewestFirst = new("id", "id", true, false);

    private static readonly Dictionary<string, (string Column, bool Text)> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = ("id", false), ["openedAt"] = ("opened_at", false), ["bytesIn"] = ("bytes_in", false), ["bytesOut"] = ("bytes_out", false),
        ["messagesIn"] = ("messages_in", false), ["messagesOut"] = ("messages_out", false), ["remote"] = ("remote", true),
        ["listenerId"] = ("COALESCE(listener_id, '')", true), ["kind"] = ("kind", true), ["state"] = ("state", true),
    };

    public static string Usage => string.Join(", ", Fields.Keys) + " (a leading - sorts descending)";

    public static SessionSort Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return NewestFirst;
        }

        var descending = text.StartsWith('-');
        var name = text.TrimStart('-', '+').Trim();
        return Fields.TryGetValue(name, out var field)
            ? new SessionSort(Fields.Keys.First(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)), field.Column, descending, field.Text)
            : throw CommandException.BadInput($"sort '{text}' is not a session field: use {Usage}.");
    }

    /// <summary>The session's value of the field, as the store keeps it (times in microseconds, names lower case).</summary>
    public object KeyOf(SessionInfo s) => Field switch
    {
        "id" => s.Id,
        "openedAt" => SqliteCommands.ToMicros(s.OpenedAt),
        "bytesIn" => s.BytesIn,
        "bytesOut" => s.BytesOut,
        "messagesIn" => s.MessagesIn,
        "messagesOut" => s.MessagesOut,
        "remote" => s.Remote,
        "listenerId" => s.ListenerId ?? "",
        "kind" => s.Kind.ToString().ToLowerInvariant(),
        _ => s.State.ToString().ToLowerInvariant(),
    };

    /// <summary>Order of (value, id) pairs in this sort's direction: positive when the first comes after the second.</summary>
    public int Compare(object value, long id, object otherValue, long otherId)
    {
        var byValue = Text ? string.CompareOrdinal((string)value, (string)otherValue) : ((long)value).CompareTo((long)otherValue);
        var order = byValue != 0 ? byValue : id.CompareTo(otherId);
        return Descending ? -order : order;
    }
}

/// <summary>Where the last page ended: its last row's sort value and id, as an opaque URL-safe token.</summary>
internal sealed record SessionCursor(object Value, long Id)
{
    public string Encode(SessionSort sort) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new { s = sort.Field + (sort.Descending ? "-" : "+"), v = Value, i = Id }))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Reads a token made by <see cref="Encode"/> for the same sort; a 400 otherwise.</summary>
    public static SessionCursor Decode(string token, SessionSort sort)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            var json = JsonDocument.Parse(Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=')));
            var root = json.RootElement;
            if (root.GetProperty("s").GetString() != sort.Field + (sort.Descending ? "-" : "+"))
            {
                throw CommandException.BadInput("cursor belongs to another sort: page with the sort it was made for, or start again without a cursor.");
            }

            var value = root.GetProperty("v");
            return new SessionCursor(sort.Text ? value.GetString()! : value.GetInt64(), root.GetProperty("i").GetInt64());
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or DecoderFallbackException)
        {
            throw CommandException.BadInput("cursor is not one this gateway gave (X-Next-Cursor of the previous page).");
        }
    }
}
