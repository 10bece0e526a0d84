using System.Text.Json;
using Gateway.Capture;
using Gateway.Sessions;
using Gateway.Traffic;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Cluster;

/// <summary>
/// Ships this node's capture store (its spool) to the cluster's history in PostgreSQL, in seq order and in
/// batches, each in one transaction with this node's high-water mark: a batch is in PostgreSQL with its mark
/// or not at all, so after a crash, or an outage of PostgreSQL, shipping resumes after the last committed
/// message, with no gap and no duplicate. Sessions go with their messages, and again when they close.
/// Marks (annotations) go with what they mark; those changed later follow from the store's list of changes,
/// after their own high-water mark, committed in the same transaction. A round reads the changes before its
/// messages and sessions and applies them first, so no row's marks in PostgreSQL ever go back to older ones.
/// </summary>
internal sealed class HistoryShipper(ClusterNode node, NpgsqlDataSource database, SessionHistory history, TrafficEventBus bus, ILogger<HistoryShipper> logger)
    : BackgroundService
{
    private const int Batch = 1000;
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan AfterFailure = TimeSpan.FromSeconds(2);

    /// <summary>How old a message must be before it ships: well past the capture writer's flush interval, so that no lower seq is still on its way to the store.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);
    private readonly System.Collections.Concurrent.ConcurrentQueue<long> _closed = new();
    private readonly Closes _closes = new();
    private long _shipped;

    /// <summary>The last seq committed to PostgreSQL.</summary>
    public long ShippedSeq => Interlocked.Read(ref _shipped);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _closes.Queue = _closed;
        bus.Subscribe(_closes);
        try
        {
            (long Seq, long Change)? mark = null;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    mark ??= await ReadMarkAsync(stoppingToken);
                    var changes = await history.AnnotationChangesAsync(mark.Value.Change, Batch, stoppingToken); // first: see the summary
                    // In seq order, and only up to the first message older than the cutoff: seqs are taken under each session's own
                    // lock, so a lower seq can reach the capture writer a moment after a higher one. The cutoff is taken before the read,
                    // and the read flushes the writer first (all it was given is committed, however far behind it was), so every seq
                    // below a message older than the cutoff is in what is read. (Not a time filter in the query: it could pass over a
                    // lower seq whose time is a hair later, and that one would never ship.)
                    var cutoff = DateTimeOffset.UtcNow - Settle;
                    var read = await history.FindAsync(new MessageQuery { AfterSeq = mark.Value.Seq, Descending = false, Limit = Batch }, stoppingToken);
                    var settled = read.FindIndex(m => m.At > cutoff);
                    var messages = settled < 0 ? read : read.GetRange(0, settled);
                    var closed = new List<long>();
                    while (closed.Count < Batch && _closed.TryDequeue(out var id))
                    {
                        closed.Add(id);
                    }

                    if (messages.Count == 0 && closed.Count == 0 && changes.Count == 0)
                    {
                        await Task.Delay(Idle, stoppingToken);
                        continue;
                    }

                    var sessionIds = messages.Select(m => m.SessionId).Concat(closed).Distinct().ToList();
                    var sessions = new List<SessionInfo>();
                    foreach (var id in sessionIds)
                    {
                        try
                        {
                            sessions.Add(await history.GetSessionAsync(id, stoppingToken));
                        }
                        catch (CommandException)
                        {
                            // Pruned from the store: its messages still go.
                        }
                    }

                    mark = await ShipAsync(messages, sessions, changes, mark.Value, stoppingToken);
                    Interlocked.Exchange(ref _shipped, mark.Value.Seq);
                    if (messages.Count < read.Count || read.Count < Batch)
                    {
                        await Task.Delay(Idle, stoppingToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // PostgreSQL away (or anything else in one round): never the end of the node; the next round starts from the committed mark.
                    ClusterLog.ShippingPaused(logger, ex.Message);
                    mark = null; // read again: the last batch may or may not have been committed
                    await Task.Delay(AfterFailure, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            bus.Unsubscribe(_closes);
        }
    }

    private async Task<(long Seq, long Change)> ReadMarkAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT shipped_seq, shipped_change FROM history_marks WHERE node = @node");
        command.Parameters.AddWithValue("node", node.Id!);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    private async Task<(long Seq, long Change)> ShipAsync(List<MessageInfo> messages, List<SessionInfo> sessions, List<AnnotationChange> changes, (long Seq, long Change) mark,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Marks first: rows shipped before get them as they were read; rows this round ships (below) were read after them, with newer ones.
        foreach (var change in changes)
        {
            await using var marks = new NpgsqlCommand(change.Seq == 0
                ? "UPDATE history_sessions SET info = jsonb_set(info, '{annotations}', @marks::jsonb) WHERE id = @session"
                : "UPDATE history_messages SET info = jsonb_set(info, '{annotations}', @marks::jsonb) WHERE seq = @seq AND session_id = @session", connection, transaction);
            marks.Parameters.AddWithValue("marks", JsonSerializer.Serialize(change.Annotations, ClusterJson.Options));
            marks.Parameters.AddWithValue("session", change.SessionId);
            marks.Parameters.AddWithValue("seq", change.Seq);
            await marks.ExecuteNonQueryAsync(cancellationToken);
            mark.Change = change.Change;
        }

        foreach (var session in sessions)
        {
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO history_sessions (id, node, listener_id, state, opened_at, info) VALUES (@id, @node, @listener, @state, @opened, @info::jsonb)
                ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, info = EXCLUDED.info
                """, connection, transaction);
            upsert.Parameters.AddWithValue("id", session.Id);
            upsert.Parameters.AddWithValue("node", node.Id!);
            upsert.Parameters.AddWithValue("listener", (object?)session.ListenerId ?? DBNull.Value);
            upsert.Parameters.AddWithValue("state", session.State.ToString().ToLowerInvariant());
            upsert.Parameters.AddWithValue("opened", session.OpenedAt);
            upsert.Parameters.AddWithValue("info", JsonSerializer.Serialize(session, ClusterJson.Options));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (messages.Count > 0)
        {
            await using (var import = await connection.BeginBinaryImportAsync(
                "COPY history_messages (seq, node, session_id, listener_id, direction, at, size, data, summary, tags, info) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var m in messages)
                {
                    await import.StartRowAsync(cancellationToken);
                    await import.WriteAsync(m.Seq, NpgsqlDbType.Bigint, cancellationToken);
                    await import.WriteAsync(node.Id!, NpgsqlDbType.Text, cancellationToken);
                    await import.WriteAsync(m.SessionId, NpgsqlDbType.Bigint, cancellationToken);
                    await WriteNullableAsync(import, m.ListenerId, cancellationToken);
                    await import.WriteAsync(m.Direction.ToString().ToLowerInvariant(), NpgsqlDbType.Text, cancellationToken);
                    await import.WriteAsync(m.At, NpgsqlDbType.TimestampTz, cancellationToken);
                    await import.WriteAsync(m.Size, NpgsqlDbType.Integer, cancellationToken);
                    await import.WriteAsync(m.Data.ToArray(), NpgsqlDbType.Bytea, cancellationToken);
                    await WriteNullableAsync(import, m.Summary, cancellationToken);
                    await import.WriteAsync((m.Tags ?? []).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                    await import.WriteAsync(JsonSerializer.Serialize(m with { Data = ReadOnlyMemory<byte>.Empty }, ClusterJson.Options), NpgsqlDbType.Jsonb, cancellationToken);
                }

                await import.CompleteAsync(cancellationToken);
            }

            mark.Seq = messages[^1].Seq;
        }

        await using (var commit = new NpgsqlCommand("""
            INSERT INTO history_marks (node, shipped_seq, shipped_change) VALUES (@node, @seq, @change)
            ON CONFLICT (node) DO UPDATE SET shipped_seq = EXCLUDED.shipped_seq, shipped_change = EXCLUDED.shipped_change
            """, connection, transaction))
        {
            commit.Parameters.AddWithValue("node", node.Id!);
            commit.Parameters.AddWithValue("seq", mark.Seq);
            commit.Parameters.AddWithValue("change", mark.Change);
            await commit.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return mark;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter import, string? value, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    /// <summary>Notes the sessions that close, so their final counters are shipped too (a bounded queue: past it, a close waits for the session's next ship).</summary>
    private sealed class Closes : ITrafficObserver
    {
        public System.Collections.Concurrent.ConcurrentQueue<long> Queue { get; set; } = new();

        public string Name => "history";

        public int Capacity => 100_000;

        public int Pending => Queue.Count;

        public long PendingBytes => 0;

        public long Dropped { get; private set; }

        public void Offer(TrafficEvent trafficEvent)
        {
            if (trafficEvent is SessionClosed closed)
            {
                if (Queue.Count < Capacity)
                {
                    Queue.Enqueue(closed.Session.Id);
                }
                else
                {
                    Dropped++;
                }
            }
        }

        public void Complete()
        {
        }
    }
}
