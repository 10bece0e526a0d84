using System.Runtime.CompilerServices;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Data.Sqlite;

namespace Gateway.Capture;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, large payloads in segment files. A committed batch survives a crash or
/// kill of the process (<c>synchronous=NORMAL</c>), and with <c>Gateway:Capture:Durability=power</c> a power
/// loss too (<c>synchronous=FULL</c>). The writer keeps one connection; every read opens its own (WAL lets
/// readers run beside the writer).
/// </summary>
internal sealed partial class SqliteCaptureStore : ICaptureStore
{
    /// <summary>What a stored message costs against the retention limit besides its payload (row, index entries).</summary>
    public const int MessageOverhead = 64;

    /// <summary>What a session row costs against the retention limit (addresses, reason, counters, index entries).</summary>
    public const int SessionRowCost = 256;

    /// <summary>What an audit row costs against the retention limit.</summary>
    public const int AuditRowCost = 256;

    /// <summary>The WAL file is truncated back to this size after a checkpoint (<c>journal_size_limit</c>).</summary>
    public const long WalLimitBytes = 16 * 1024 * 1024;

    /// <summary>Messages one page of a stream reads, each page in its own short read transaction.</summary>
    private const int StreamPageMessages = 256;

    /// <summary>Payload bytes one page of a stream may hold (a page holds at least one message).</summary>
    private const long StreamPageBytes = 4 * 1024 * 1024;

    private readonly string _connectionString;
    private SqliteConnection? _writer;
    private long _storedBytes;

    private readonly bool _powerSafe;
    private CaptureSegments? _segments;

    private readonly long _segmentBytes;

    /// <summary>In a cluster, this node: every row of its store is its own (the <c>node</c> of what it reads).</summary>
    private readonly string? _node;

    public SqliteCaptureStore(string connectionString, string contentRoot, bool powerSafe = false, long segmentBytes = CaptureSegments.SegmentBytes, string? node = null)
    {
        _node = node;
        _powerSafe = powerSafe;
        _segmentBytes = segmentBytes;
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

    /// <summary>Where payloads of <see cref="CaptureSegments.MinBytes"/> and more are kept: beside the database, <c>gateway.segments/</c> for <c>gateway.db</c>.</summary>
    public string SegmentFolder => Path.ChangeExtension(Location, null) + ".segments";

    public string Location { get; }

    public long StoredBytes => Interlocked.Read(ref _storedBytes);

    public bool IsOpen => _writer is not null;

    public async Task<CaptureHighWater> OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Location)!);
        _segments = new CaptureSegments(SegmentFolder, _segmentBytes);
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        _writer = connection;
        // journal_size_limit: after each checkpoint the WAL file shrinks back to this, instead of keeping its largest
        // size. synchronous: see Gateway:Capture:Durability. Pages stay SQLite's 4 KiB: large payloads are in segments,
        // and with 64 KiB pages a small row cost four times as much to insert.
        await ExecuteAsync($"PRAGMA journal_mode=WAL; PRAGMA synchronous={(_powerSafe ? "FULL" : "NORMAL")}; "
            + $"PRAGMA journal_size_limit={WalLimitBytes};", cancellationToken).ConfigureAwait(false);
        await SqliteSchema.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(SqliteSchema.CloseOrphans, cancellationToken, transaction).ConfigureAwait(false);
        var seq = await ScalarAsync("SELECT MAX(COALESCE((SELECT value FROM meta WHERE key = 'last_seq'), 0), COALESCE((SELECT MAX(seq) FROM messages), 0))", transaction, cancellationToken).ConfigureAwait(false);
        var sessionId = await ScalarAsync("SELECT MAX(COALESCE((SELECT value FROM meta WHERE key = 'last_session_id'), 0), COALESCE((SELECT MAX(id) FROM sessions), 0))", transaction, cancellationToken).ConfigureAwait(false);
        _storedBytes = await ScalarAsync(
            $"SELECT (SELECT COALESCE(SUM({SqliteCommands.KeptLength} + {MessageOverhead}), 0) FROM messages) "
            + $"+ (SELECT COUNT(*) FROM sessions) * {SessionRowCost} + (SELECT COUNT(*) FROM audit) * {AuditRowCost}",
            transaction, cancellationToken).ConfigureAwait(false);
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
        using var summarize = SqliteCommands.UpdateSummary(connection, transaction);
        long added = 0;
        var segments = _segments!;
        foreach (var trafficEvent in batch)
        {
            switch (trafficEvent)
            {
                case TrafficMessage message:
                    var keep = message.Capture.Mode == CaptureMode.Full;
                    // Large payloads are appended to a segment (written below, before the commit); their row says where.
                    var segment = keep && message.Data.Length >= CaptureSegments.MinBytes ? segments.Append(message.Data) : ((long, long)?)null;
                    SqliteCommands.BindMessage(insertMessage, message, keep, segment);
                    insertMessage.ExecuteNonQuery();
                    added += (keep ? message.Size : 0) + MessageOverhead;
                    break;
                case SessionOpened opened:
                    SqliteCommands.BindSession(upsertSession, opened.Session);
                    upsertSession.ExecuteNonQuery();
                    added += SessionRowCost; // its close updates the same row
                    break;
                case SessionClosed closed:
                    SqliteCommands.BindSession(upsertSession, closed.Session);
                    upsertSession.ExecuteNonQuery();
                    break;
                case MessageDecoded decoded:
                    summarize.Parameters[0].Value = decoded.Summary;
                    summarize.Parameters[1].Value = decoded.Seq;
                    summarize.ExecuteNonQuery(); // no row (not captured, or dropped): nothing to do
                    break;
                case SessionUpdated updated:
                    SqliteCommands.BindSession(upsertSession, updated.Session);
                    upsertSession.ExecuteNonQuery();
                    break;
                case Security.AuditRecorded audit:
                    SqliteCommands.BindAudit(insertAudit, audit.Entry);
                    insertAudit.ExecuteNonQuery();
                    added += AuditRowCost;
                    break;
            }
        }

        await ExecuteAsync(
            $"INSERT INTO meta(key, value) VALUES ('last_seq', {highWater.Seq}), ('last_session_id', {highWater.SessionId}) "
            + "ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)",
            cancellationToken, transaction).ConfigureAwait(false);
        try
        {
            segments.Flush(toDisk: _powerSafe); // the bytes first, then the rows that point at them
        }
        catch
        {
            segments.Discard();
            throw;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _storedBytes, added);
    }

    /// <summary>
    /// Retention over everything the store keeps — messages, sessions and audit rows, each at its real
    /// cost. By age: whatever is older than <paramref name="olderThan"/> goes (a session once it is closed
    /// and nothing of it is left). By size: oldest first, messages before the sessions and audit rows that
    /// remain, down to 90 % of <paramref name="maxBytes"/> so that the next batches do not prune again at once.
    /// </summary>
    public async Task<long> PruneAsync(long maxBytes, DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var connection = Writer;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = SqliteCommands.ToMicros(olderThan);
        long removed = 0;
        long lastSeq = await ScalarAsync($"SELECT COALESCE(MAX(seq), 0) FROM messages WHERE at < {cutoff}", transaction, cancellationToken).ConfigureAwait(false);
        var excess = StoredBytes - maxBytes;
        long toFree = excess > 0 ? excess + (maxBytes / 10) : 0;
        if (toFree > 0)
        {
            using var scan = connection.CreateCommand();
            scan.Transaction = transaction;
            scan.CommandText = $"SELECT seq, {SqliteCommands.KeptLength} + {MessageOverhead} FROM messages ORDER BY seq";
            await using var reader = await scan.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            long freed = 0;
            while (freed < toFree && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                lastSeq = Math.Max(lastSeq, reader.GetInt64(0));
                freed += reader.GetInt64(1);
            }
        }

        if (lastSeq > 0)
        {
            removed += await ScalarAsync($"SELECT COALESCE(SUM({SqliteCommands.KeptLength} + {MessageOverhead}), 0) FROM messages WHERE seq <= {lastSeq}", transaction, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync($"DELETE FROM messages WHERE seq <= {lastSeq}", cancellationToken, transaction).ConfigureAwait(false);
            await ExecuteAsync($"DELETE FROM annotations WHERE seq BETWEEN 1 AND {lastSeq}", cancellationToken, transaction).ConfigureAwait(false);
            await ExecuteAsync($"DELETE FROM annotation_changes WHERE seq BETWEEN 1 AND {lastSeq}", cancellationToken, transaction).ConfigureAwait(false);
        }

        // Closed sessions with nothing left go by age and, once messages were pruned, when they ended before
        // what remains began.
        const string Bare = "state = 'closed' AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = sessions.id)";
        var horizon = lastSeq > 0 ? $"MAX({cutoff}, COALESCE((SELECT MIN(at) FROM messages), {long.MaxValue}))" : $"{cutoff}";
        removed += SessionRowCost * await DeleteAsync($"DELETE FROM sessions WHERE {Bare} AND closed_at < {horizon}", transaction, cancellationToken).ConfigureAwait(false);
        removed += AuditRowCost * await DeleteAsync($"DELETE FROM audit WHERE at < {cutoff}", transaction, cancellationToken).ConfigureAwait(false);

        // Still over (a flood of sessions without messages, or of audit rows): the oldest of those go too.
        var left = toFree - removed;
        if (left > 0)
        {
            removed += SessionRowCost * await DeleteAsync(
                $"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE {Bare} ORDER BY id LIMIT {(left + SessionRowCost - 1) / SessionRowCost})",
                transaction, cancellationToken).ConfigureAwait(false);
        }

        left = toFree - removed;
        if (left > 0)
        {
            removed += AuditRowCost * await DeleteAsync(
                $"DELETE FROM audit WHERE id IN (SELECT id FROM audit ORDER BY id LIMIT {(left + AuditRowCost - 1) / AuditRowCost})",
                transaction, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _storedBytes, -removed);
        if (removed > 0)
        {
            // Segments no row points into any more: the oldest live row's segment and later ones stay.
            var oldest = await ScalarAsync("SELECT COALESCE((SELECT seg FROM messages WHERE seg IS NOT NULL ORDER BY seq LIMIT 1), 9223372036854775807)", null, cancellationToken).ConfigureAwait(false);
            _segments?.RemoveBelow(oldest);
            // Hand the freed pages back and shrink the WAL (a checkpoint that waits for no reader).
            await ExecuteAsync("PRAGMA wal_checkpoint(PASSIVE);", cancellationToken).ConfigureAwait(false);
        }

        return removed;
    }

    private async Task<long> DeleteAsync(string sql, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = Writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One page: read whole, then the read transaction ends (nothing is held while the caller works).</summary>
    public async Task<List<MessageInfo>> FindMessagesAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        var messages = new List<MessageInfo>();
        long bytes = 0;
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqliteCommands.FindMessages(connection, query);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var message = SqliteCommands.ReadMessage(reader, _node);
            if (messages.Count > 0 && bytes + message.Data.Length > query.MaxBytes)
            {
                break;
            }

            messages.Add(message);
            bytes += message.Data.Length;
        }

        return messages;
    }

    /// <summary>
    /// Every message the query matches, page by page, each page in its own short read transaction: a slow
    /// consumer (a capture.json or pcapng download to a slow client) never keeps a read snapshot open,
    /// which would stop checkpoints and let the WAL grow with all the traffic meanwhile.
    /// </summary>
    public async IAsyncEnumerable<MessageInfo> StreamMessagesAsync(MessageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var remaining = query.Limit;
        var page = query with { Limit = Math.Min(StreamPageMessages, remaining), MaxBytes = Math.Min(StreamPageBytes, query.MaxBytes) };
        while (remaining > 0)
        {
            var messages = await FindMessagesAsync(page, cancellationToken).ConfigureAwait(false);
            if (messages.Count == 0)
            {
                yield break;
            }

            foreach (var message in messages)
            {
                yield return message;
            }

            remaining -= messages.Count;
            var last = messages[^1].Seq;
            page = (query.Descending ? page with { BeforeSeq = last } : page with { AfterSeq = last }) with { Limit = Math.Min(StreamPageMessages, remaining) };
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

        _segments?.Dispose();
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

    private Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken) => OpenConnectionAsync(cancellationToken);

    /// <summary>A connection that can read payloads kept in segments (<c>gw_segment(seg, offset, length)</c>).</summary>
    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var segments = _segments;
        connection.CreateFunction<long?, long?, long?, byte[]?>("gw_segment",
            (segment, offset, length) => segment is null || offset is null || length is null || segments is null ? null : segments.Read(segment.Value, offset.Value, (int)length.Value),
            isDeterministic: true);
        return connection;
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        using var command = Writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> ScalarAsync(string sql, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        using var command = Writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }
}
