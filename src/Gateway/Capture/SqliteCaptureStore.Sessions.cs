using Gateway.Sessions;
using Microsoft.Data.Sqlite;

namespace Gateway.Capture;

/// <summary>The store's session rows and the marks people put on sessions and messages (annotations).</summary>
internal sealed partial class SqliteCaptureStore
{
    public async Task<SessionInfo?> GetSessionAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = SqliteCommands.SelectSessions + " WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqliteCommands.ReadSession(reader, _node) : null;
    }

    public async Task<List<SessionInfo>> ListSessionsAsync(string? listenerId, bool closedOnly, long? afterId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        var where = new SqlFilter(command);
        if (listenerId is not null)
        {
            where.Add("listener_id = $listener COLLATE NOCASE", "$listener", listenerId);
        }

        if (closedOnly)
        {
            where.Add("state = 'closed'");
        }

        if (afterId is { } after)
        {
            where.Add("id > $after", "$after", after);
        }

        command.CommandText = SqliteCommands.SelectSessions + where
            + (afterId is null ? " ORDER BY id DESC" : " ORDER BY id")
            + " LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var sessions = await ReadAllAsync(command, r => SqliteCommands.ReadSession(r, _node), cancellationToken).ConfigureAwait(false);
        sessions.Sort((a, b) => a.Id.CompareTo(b.Id));
        return sessions;
    }

    public async Task<List<SessionInfo>> QueryClosedSessionsAsync(SessionQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        var where = new SqlFilter(command);
        where.Add("state = 'closed'");
        if (query.ListenerId is { } listener)
        {
            where.Add("listener_id = $listener COLLATE NOCASE", "$listener", listener);
        }

        if (query.Kind is { } kind)
        {
            where.Add("kind = $kind", "$kind", kind.ToString().ToLowerInvariant());
        }

        if (query.Text is { } text)
        {
            where.Add("instr(lower(remote || ' ' || local || ' ' || COALESCE(upstream, '') || ' ' || COALESCE(listener_id, '') || ' ' || COALESCE(close_reason, '') || ' ' "
                + "|| COALESCE((SELECT replace(a.tags, ',', ' ') FROM annotations a WHERE a.session_id = sessions.id AND a.seq = 0), '')), lower($text)) > 0"
                + " OR EXISTS (SELECT 1 FROM messages m WHERE m.session_id = sessions.id AND m.summary IS NOT NULL AND instr(lower(m.summary), lower($text)) > 0)",
                "$text", text);
        }

        if (query.Tag is { } tag)
        {
            where.Add("EXISTS (SELECT 1 FROM annotations a WHERE a.session_id = sessions.id AND a.seq = 0 AND instr(a.tags, $tag) > 0)", "$tag", $",{tag},");
        }

        var sort = query.Sort;
        var direction = sort.Descending ? "DESC" : "ASC";
        if (query.After is { } after)
        {
            // Keyset: rows after (value, id) in this order.
            var beyond = sort.Descending ? "<" : ">";
            where.Add($"({sort.Column} {beyond} $after OR ({sort.Column} = $after AND id {beyond} $afterId))", "$after", after.Value);
            command.Parameters.AddWithValue("$afterId", after.Id);
        }

        command.CommandText = SqliteCommands.SelectSessions + where + $" ORDER BY {sort.Column} {direction}, id {direction} LIMIT $limit";
        command.Parameters.AddWithValue("$limit", query.Limit + 1);
        return await ReadAllAsync(command, r => SqliteCommands.ReadSession(r, _node), cancellationToken).ConfigureAwait(false);
    }

    public async Task<HashSet<long>> SessionsWithSummaryAsync(string text, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT session_id FROM messages WHERE summary IS NOT NULL AND instr(lower(summary), lower($text)) > 0";
        command.Parameters.AddWithValue("$text", text);
        var ids = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    public async Task SetAnnotationsAsync(long sessionId, long seq, Annotations annotations, CancellationToken cancellationToken)
    {
        // Its own connection: the capture writer's is its thread's alone. SQLite serialises the two writers (busy timeout).
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        if (annotations.IsEmpty)
        {
            command.CommandText = "DELETE FROM annotations WHERE session_id = $session AND seq = $seq";
        }
        else
        {
            command.CommandText = "INSERT OR REPLACE INTO annotations (session_id, seq, starred, tags, note, updated_at) VALUES ($session, $seq, $starred, $tags, $note, $at)";
            command.Parameters.AddWithValue("$starred", annotations.Starred ? 1 : 0);
            command.Parameters.AddWithValue("$tags", SqliteCommands.StoredTags(annotations.Tags));
            command.Parameters.AddWithValue("$note", (object?)annotations.Note ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", SqliteCommands.ToMicros(DateTimeOffset.UtcNow));
        }

        command.Parameters.AddWithValue("$session", sessionId);
        command.Parameters.AddWithValue("$seq", seq);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        // Noted with the change, in its transaction: a cluster node ships marks from this list, removals included.
        command.Parameters.Clear();
        command.CommandText = """
            INSERT OR REPLACE INTO annotation_changes (session_id, seq, change)
            VALUES ($session, $seq, COALESCE((SELECT MAX(change) FROM annotation_changes), 0) + 1)
            """;
        command.Parameters.AddWithValue("$session", sessionId);
        command.Parameters.AddWithValue("$seq", seq);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<List<AnnotationChange>> AnnotationChangesAsync(long afterChange, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT c.change, c.session_id, c.seq, a.starred, a.tags, a.note
            FROM annotation_changes c LEFT JOIN annotations a ON a.session_id = c.session_id AND a.seq = c.seq
            WHERE c.change > $after ORDER BY c.change LIMIT $limit
            """;
        command.Parameters.AddWithValue("$after", afterChange);
        command.Parameters.AddWithValue("$limit", limit);
        var changes = new List<AnnotationChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            changes.Add(new AnnotationChange(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), SqliteCommands.ReadAnnotations(reader, 3)));
        }

        return changes;
    }

    public async Task<Dictionary<long, Annotations>> SessionAnnotationsAsync(IReadOnlyCollection<long> sessionIds, CancellationToken cancellationToken)
    {
        var found = new Dictionary<long, Annotations>();
        if (sessionIds.Count == 0)
        {
            return found;
        }

        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        // Ids are numbers: written into the statement, in one list.
        command.CommandText = $"SELECT session_id, starred, tags, note FROM annotations WHERE seq = 0 AND session_id IN ({string.Join(',', sessionIds)})";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found[reader.GetInt64(0)] = SqliteCommands.ReadAnnotations(reader, 1)!;
        }

        return found;
    }

    public async Task<List<SessionInfo>> SessionsBetweenAsync(string? listenerId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        var where = new SqlFilter(command);
        if (listenerId is not null)
        {
            where.Add("listener_id = $listener COLLATE NOCASE", "$listener", listenerId);
        }

        if (from is { } start)
        {
            where.Add("(closed_at IS NULL OR closed_at >= $from)", "$from", SqliteCommands.ToMicros(start));
        }

        if (to is { } end)
        {
            where.Add("opened_at <= $to", "$to", SqliteCommands.ToMicros(end));
        }

        command.CommandText = SqliteCommands.SelectSessions + where + " ORDER BY id";
        return await ReadAllAsync(command, r => SqliteCommands.ReadSession(r, _node), cancellationToken).ConfigureAwait(false);
    }
}
