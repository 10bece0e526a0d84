using System.Text.Json;
using Gateway.Capture;
using Gateway.Traffic;
using Npgsql;

namespace Gateway.Cluster;

/// <summary>
/// The cluster's shared history in PostgreSQL (what every node's <see cref="HistoryShipper"/> committed):
/// message searches across every node, and the messages of sessions whose node is gone.
/// </summary>
internal sealed class ClusterHistory(NpgsqlDataSource database, SessionHistory local)
{
    /// <summary>
    /// A search over every node: the shared history, with this node's own messages not shipped yet from its
    /// store (the others' arrive within their shipping lag, about two seconds).
    /// </summary>
    public async Task<List<MessageInfo>> FindAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        var shared = await FindSharedAsync(query, cancellationToken);
        var mine = await local.FindAsync(query, cancellationToken);
        var merged = mine.Concat(shared).DistinctBy(m => m.Seq); // this node's own copy first: its marks are newer than what it shipped
        merged = query.Descending ? merged.OrderByDescending(m => m.Seq) : merged.OrderBy(m => m.Seq);
        return merged.Take(query.Limit).ToList();
    }

    /// <summary>Sessions shipped by nodes that are not active now (the newest <see cref="SessionHistory.MaxSessionPage"/>), those left open read as closed "node lost".</summary>
    public async Task<List<Sessions.SessionInfo>> SessionsOfGoneNodesAsync(IReadOnlyCollection<string> activeNodes, long? id, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"SELECT info::text FROM history_sessions WHERE NOT (node = ANY(@active)){(id is null ? "" : " AND id = @id")} ORDER BY id DESC LIMIT {SessionHistory.MaxSessionPage}");
        command.Parameters.AddWithValue("active", activeNodes.ToArray());
        if (id is { } one)
        {
            command.Parameters.AddWithValue("id", one);
        }

        var sessions = new List<Sessions.SessionInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var session = JsonSerializer.Deserialize<Sessions.SessionInfo>(reader.GetString(0), ClusterJson.Options)!;
            sessions.Add(session.State == Sessions.SessionState.Open
                ? session with { State = Sessions.SessionState.Closed, CloseReason = ClusterEvents.NodeLost }
                : session);
        }

        return sessions;
    }

    /// <summary>Every node's sessions (as last shipped; a lost node's as closed "node lost") that overlap the range, of one listener if given.</summary>
    public async Task<List<Sessions.SessionInfo>> SessionsBetweenAsync(string? listenerId, DateTimeOffset? from, DateTimeOffset? to, Func<long, Sessions.SessionInfo?> lost, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand();
        var where = new SqlFilter(command);
        AddListener(where, listenerId);
        AddTimes(where, "(info->>'closedAt' IS NULL OR (info->>'closedAt')::timestamptz >= @from)", from, "opened_at <= @to", to);
        command.CommandText = $"SELECT info::text FROM history_sessions{where} ORDER BY opened_at, id";
        var sessions = new List<Sessions.SessionInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var session = JsonSerializer.Deserialize<Sessions.SessionInfo>(reader.GetString(0), ClusterJson.Options)!;
            sessions.Add(lost(session.Id) ?? session);
        }

        return sessions;
    }

    /// <summary>Every node's messages in the range (of one listener if given), in time order, a page at a time.</summary>
    public async IAsyncEnumerable<MessageInfo> StreamRangeAsync(string? listenerId, DateTimeOffset? from, DateTimeOffset? to, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        (DateTimeOffset At, long Seq)? after = null;
        while (true)
        {
            await using var command = database.CreateCommand();
            var where = new SqlFilter(command);
            AddListener(where, listenerId);
            AddTimes(where, "at >= @from", from, "at <= @to", to);
            if (after is { } last)
            {
                where.Add("(at, seq) > (@afterAt, @afterSeq)", "afterAt", last.At);
                command.Parameters.AddWithValue("afterSeq", last.Seq);
            }

            command.CommandText = $"SELECT data, info::text FROM history_messages{where} ORDER BY at, seq LIMIT {SessionHistory.MaxPage}";
            var page = new List<MessageInfo>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    page.Add(ReadMessage(reader));
                }
            }

            foreach (var message in page)
            {
                yield return message;
            }

            if (page.Count < SessionHistory.MaxPage)
            {
                yield break;
            }

            after = (page[^1].At, page[^1].Seq);
        }
    }

    /// <summary>All a session's messages in the shared history, in seq order, a page at a time.</summary>
    public async IAsyncEnumerable<MessageInfo> StreamSharedAsync(long sessionId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long? after = null;
        while (true)
        {
            var page = await FindSharedAsync(new MessageQuery { SessionId = sessionId, AfterSeq = after, Descending = false, Limit = SessionHistory.MaxPage }, cancellationToken);
            foreach (var message in page)
            {
                yield return message;
            }

            if (page.Count < SessionHistory.MaxPage)
            {
                yield break;
            }

            after = page[^1].Seq;
        }
    }

    /// <summary>The shared history alone (a lost node's session's messages). A connection the pool kept from before a database restart is broken: one failure is tried again.</summary>
    public async Task<List<MessageInfo>> FindSharedAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        try
        {
            return await FindSharedOnceAsync(query, cancellationToken);
        }
        catch (NpgsqlException)
        {
            return await FindSharedOnceAsync(query, cancellationToken);
        }
    }

    private async Task<List<MessageInfo>> FindSharedOnceAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand();
        var where = new SqlFilter(command);
        if (query.SessionId is { } session)
        {
            where.Add("session_id = @session", "session", session);
        }

        AddListener(where, query.ListenerId);
        if (query.Direction is { } direction)
        {
            where.Add("direction = @direction", "direction", direction.ToString().ToLowerInvariant());
        }

        for (var i = 0; i < query.Patterns.Count; i++)
        {
            where.Add($"position(@pattern{i} in data) > 0", $"pattern{i}", query.Patterns[i]);
        }

        if (query.Tag is { } tag)
        {
            // A rule's tag, or a person's (marks are in the message's info).
            where.Add("(@tag = ANY(tags) OR COALESCE(info->'annotations'->'tags', '[]'::jsonb) @> jsonb_build_array(@tag::text))", "tag", tag);
        }

        if (query.Summary is { } summary)
        {
            where.Add("strpos(lower(summary), lower(@summary)) > 0", "summary", summary);
        }

        AddTimes(where, "at >= @from", query.From, "at <= @to", query.To);
        if (query.AfterSeq is { } after)
        {
            where.Add("seq > @after", "after", after);
        }

        if (query.BeforeSeq is { } before)
        {
            where.Add("seq < @before", "before", before);
        }

        command.CommandText = $"SELECT data, info::text FROM history_messages{where} ORDER BY seq {(query.Descending ? "DESC" : "ASC")} LIMIT @limit";
        command.Parameters.AddWithValue("limit", query.Limit);
        var found = new List<MessageInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add(ReadMessage(reader));
        }

        return found;
    }

    /// <summary>A message row (<c>data, info</c>): its info as shipped, with its payload.</summary>
    private static MessageInfo ReadMessage(NpgsqlDataReader reader) =>
        JsonSerializer.Deserialize<MessageInfo>(reader.GetString(1), ClusterJson.Options)! with { Data = reader.GetFieldValue<byte[]>(0) };

    private static void AddListener(SqlFilter where, string? listenerId)
    {
        if (listenerId is not null)
        {
            where.Add("lower(listener_id) = lower(@listener)", "listener", listenerId);
        }
    }

    private static void AddTimes(SqlFilter where, string fromCondition, DateTimeOffset? from, string toCondition, DateTimeOffset? to)
    {
        if (from is { } since)
        {
            where.Add(fromCondition, "from", since);
        }

        if (to is { } until)
        {
            where.Add(toCondition, "to", until);
        }
    }
}
