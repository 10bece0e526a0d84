using System.Runtime.CompilerServices;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Data.Sqlite;

namespace Gateway.Capture;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a committed batch
/// survives a crash or a power loss. The writer keeps one connection; every read opens its own (WAL lets
/// readers run beside the writer).
/// </summary>
internal sealed class SqliteCaptureStore : ICaptureStore
{
    /// <summary>What a stored message costs against the retention limit besides its payload (row, index entries).</summary>
    public const int MessageOverhead = 64;

    private readonly string _connectionString;
    private SqliteConnection? _writer;
    private long _storedBytes;

    public SqliteCaptureStore(string connectionString, string contentRoot)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Capture must name a database file (e.g. 'Data Source=data/gateway.db'): history has to outlive the process.");
        }

        builder.DataSource = Path.GetFullPath(builder.DataSource, contentRoot);
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        builder.DefaultTimeout = 30;
        Location = builder.DataSource;
        _connectionString = builder.ToString();
    }

    public string Location { get; }

    public long StoredBytes => Interlocked.Read(ref _storedBytes);

    public async Task<CaptureHighWater> OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Location)!);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        _writer = connection;
        await ExecuteAsync("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", cancellationToken).ConfigureAwait(false);
        await SqliteSchema.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(SqliteSchema.CloseOrphans, cancellationToken, transaction).ConfigureAwait(false);
        var seq = await ScalarAsync("SELECT MAX(COALESCE((SELECT value FROM meta WHERE key = 'last_seq'), 0), COALESCE((SELECT MAX(seq) FROM messages), 0))", transaction, cancellationToken).ConfigureAwait(false);
        var sessionId = await ScalarAsync("SELECT MAX(COALESCE((SELECT value FROM meta WHERE key = 'last_session_id'), 0), COALESCE((SELECT MAX(id) FROM sessions), 0))", transaction, cancellationToken).ConfigureAwait(false);
        _storedBytes = await ScalarAsync($"SELECT COALESCE(SUM(COALESCE(length(data), 0) + {MessageOverhead}), 0) FROM messages", transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CaptureHighWater(seq, sessionId);
    }

    public async Task WriteAsync(IReadOnlyList<TrafficEvent> batch, CaptureHighWater highWater, CancellationToken cancellationToken)
    {
        var connection = Writer;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        using var insertMessage = SqliteCommands.InsertMessage(connection, transaction);
        using var upsertSession = SqliteCommands.UpsertSession(connection, transaction);
        using var insertAudit = SqliteCommands.InsertAudit(connection, transaction);
        long added = 0;
        foreach (var trafficEvent in batch)
        {
            switch (trafficEvent)
            {
                case TrafficMessage message:
                    var keep = message.Capture.Mode == CaptureMode.Full;
                    SqliteCommands.BindMessage(insertMessage, message, keep);
                    await insertMessage.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    added += (keep ? message.Size : 0) + MessageOverhead;
                    break;
                case SessionOpened opened:
                    SqliteCommands.BindSession(upsertSession, opened.Session);
                    await upsertSession.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case SessionClosed closed:
                    SqliteCommands.BindSession(upsertSession, closed.Session);
                    await upsertSession.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case Security.AuditRecorded audit:
                    SqliteCommands.BindAudit(insertAudit, audit.Entry);
                    await insertAudit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        await ExecuteAsync(
            $"INSERT INTO meta(key, value) VALUES ('last_seq', {highWater.Seq}), ('last_session_id', {highWater.SessionId}) "
            + "ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)",
            cancellationToken, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _storedBytes, added);
    }

    public async Task<long> PruneAsync(long maxBytes, DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var connection = Writer;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = SqliteCommands.ToMicros(olderThan);
        long lastSeq = await ScalarAsync($"SELECT COALESCE(MAX(seq), 0) FROM messages WHERE at < {cutoff}", transaction, cancellationToken).ConfigureAwait(false);
        var excess = StoredBytes - maxBytes;
        if (excess > 0)
        {
            // Oldest first, down to 90 % of the limit so that the next batches do not prune again at once.
            var toFree = excess + (maxBytes / 10);
            using var scan = connection.CreateCommand();
            scan.Transaction = transaction;
            scan.CommandText = $"SELECT seq, COALESCE(length(data), 0) + {MessageOverhead} FROM messages ORDER BY seq";
            await using var reader = await scan.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            long freed = 0;
            while (freed < toFree && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                lastSeq = Math.Max(lastSeq, reader.GetInt64(0));
                freed += reader.GetInt64(1);
            }
        }

        if (lastSeq == 0)
        {
            return 0;
        }

        await ExecuteAsync($"DELETE FROM audit WHERE at < {cutoff}", cancellationToken, transaction).ConfigureAwait(false);
        var removed = await ScalarAsync($"SELECT COALESCE(SUM(COALESCE(length(data), 0) + {MessageOverhead}), 0) FROM messages WHERE seq <= {lastSeq}", transaction, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync($"DELETE FROM messages WHERE seq <= {lastSeq}", cancellationToken, transaction).ConfigureAwait(false);
        // Closed sessions go once nothing of them is left and they ended before what remains began.
        await ExecuteAsync(
            "DELETE FROM sessions WHERE state = 'closed' "
            + "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = sessions.id) "
            + $"AND closed_at < MAX({cutoff}, COALESCE((SELECT MIN(at) FROM messages), {long.MaxValue}))",
            cancellationToken, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _storedBytes, -removed);
        return removed;
    }

    public async Task<SessionInfo?> GetSessionAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = SqliteCommands.SelectSessions + " WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqliteCommands.ReadSession(reader) : null;
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
        var sessions = await ReadAllAsync(command, SqliteCommands.ReadSession, cancellationToken).ConfigureAwait(false);
        sessions.Sort((a, b) => a.Id.CompareTo(b.Id));
        return sessions;
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
        return await ReadAllAsync(command, SqliteCommands.ReadSession, cancellationToken).ConfigureAwait(false);
    }

    public async Task<List<MessageInfo>> FindMessagesAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        var messages = new List<MessageInfo>();
        long bytes = 0;
        await foreach (var message in StreamMessagesAsync(query, cancellationToken).ConfigureAwait(false))
        {
            if (messages.Count > 0 && bytes + message.Data.Length > query.MaxBytes)
            {
                break;
            }

            messages.Add(message);
            bytes += message.Data.Length;
        }

        return messages;
    }

    public async IAsyncEnumerable<MessageInfo> StreamMessagesAsync(MessageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqliteCommands.FindMessages(connection, query);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return SqliteCommands.ReadMessage(reader);
        }
    }

    public async Task<List<Security.AuditEntry>> ReadAuditAsync(long? beforeId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, at, key_name, role, via, remote_ip, action, target, bytes, detail FROM audit"
            + (beforeId is null ? "" : " WHERE id < $before") + " ORDER BY id DESC LIMIT $limit";
        if (beforeId is { } before)
        {
            command.Parameters.AddWithValue("$before", before);
        }

        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAllAsync(command, SqliteCommands.ReadAudit, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is { } writer)
        {
            _writer = null;
            SqliteConnection.ClearPool(writer);
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<List<T>> ReadAllAsync<T>(SqliteCommand command, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private SqliteConnection Writer => _writer ?? throw new InvalidOperationException("The capture store is not open.");

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        using var command = Writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> ScalarAsync(string sql, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = Writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }
}
