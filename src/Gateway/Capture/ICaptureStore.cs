using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Capture;

/// <summary>
/// Where captured traffic is kept. The data plane never calls it: only the <see cref="CaptureWriter"/>
/// writes (one batch at a time, from one task), and the control plane reads. Another engine can take
/// SQLite's place by implementing this.
/// </summary>
internal interface ICaptureStore : IAsyncDisposable
{
    /// <summary>Where the data is, for logs and <c>/api/stats</c>.</summary>
    string Location { get; }

    /// <summary>Open for writing: between <c>OpenAsync</c> and disposal.</summary>
    bool IsOpen { get; }

    /// <summary>Bytes the retention limit counts: payloads plus a fixed cost per message.</summary>
    long StoredBytes { get; }

    /// <summary>
    /// Creates or migrates the schema and closes the sessions a crash left open (reason <c>gateway
    /// restarted</c>). Returns the highest seq and session id ever issued, so new ones continue above them.
    /// </summary>
    Task<CaptureHighWater> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Writes sessions and messages in one durable transaction.</summary>
    Task WriteAsync(IReadOnlyList<TrafficEvent> batch, CaptureHighWater highWater, CancellationToken cancellationToken);

    /// <summary>Removes the oldest messages (and sessions left without any) past the limits; returns bytes removed.</summary>
    Task<long> PruneAsync(long maxBytes, DateTimeOffset olderThan, CancellationToken cancellationToken);

    Task<SessionInfo?> GetSessionAsync(long id, CancellationToken cancellationToken);

    /// <summary>Stored sessions (of one listener if given), <paramref name="limit"/> of them: the newest, or the first after <paramref name="afterId"/>.</summary>
    Task<List<SessionInfo>> ListSessionsAsync(string? listenerId, bool closedOnly, long? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>Stored closed sessions matching <paramref name="query"/>, in its order after its cursor: at most its limit + 1 (the extra one says there is a next page).</summary>
    Task<List<SessionInfo>> QueryClosedSessionsAsync(SessionQuery query, CancellationToken cancellationToken);

    /// <summary>Sessions with a message whose decoder summary contains <paramref name="text"/> (any case): what <c>q</c> matches besides a session's own fields.</summary>
    Task<HashSet<long>> SessionsWithSummaryAsync(string text, CancellationToken cancellationToken);

    /// <summary>Sets (or, when empty, removes) the annotations of a session (<paramref name="seq"/> 0) or of one of its messages.</summary>
    Task SetAnnotationsAsync(long sessionId, long seq, Annotations annotations, CancellationToken cancellationToken);

    /// <summary>
    /// What was marked or unmarked after change <paramref name="afterChange"/>, in change order, at most
    /// <paramref name="limit"/>: each place once, with its annotations now (null: removed). For the cluster's shared history.
    /// </summary>
    Task<List<AnnotationChange>> AnnotationChangesAsync(long afterChange, int limit, CancellationToken cancellationToken);

    /// <summary>The annotations of these sessions (themselves, not their messages), by id; sessions without any are absent.</summary>
    Task<Dictionary<long, Annotations>> SessionAnnotationsAsync(IReadOnlyCollection<long> sessionIds, CancellationToken cancellationToken);

    /// <summary>Messages matching the query, in its order, within its count and byte limits.</summary>
    Task<List<MessageInfo>> FindMessagesAsync(MessageQuery query, CancellationToken cancellationToken);

    /// <summary>Streams every message matching the query (no page limits), in seq order: for exports.</summary>
    IAsyncEnumerable<MessageInfo> StreamMessagesAsync(MessageQuery query, CancellationToken cancellationToken);

    /// <summary>The audit trail, newest first, before <paramref name="beforeId"/> if given.</summary>
    Task<List<Security.AuditEntry>> ReadAuditAsync(long? beforeId, int limit, CancellationToken cancellationToken);

    /// <summary>Sessions with a message in, or open during, the time range (both optional), in id order: for exports.</summary>
    Task<List<SessionInfo>> SessionsBetweenAsync(string? listenerId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken);
}

/// <summary>The highest seq and session id issued so far.</summary>
internal readonly record struct CaptureHighWater(long Seq, long SessionId);
