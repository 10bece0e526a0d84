using Gateway.Configuration;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace Gateway.Capture;

/// <summary>
/// What the API reads about sessions and messages: live sessions from the registry, history from the
/// capture store. Message reads first flush the writer, so they see everything recorded before the request.
/// </summary>
internal sealed class SessionHistory(DataPlane plane, ICaptureStore store, CaptureWriter writer, IOptions<GatewayOptions> options)
{
    public const int MaxPage = 1000;

    public const int MaxSessionPage = 10_000;

    private readonly int _pageBytes = options.Value.Capture.PageBytes;

    public async Task<SessionInfo> GetSessionAsync(long id, CancellationToken cancellationToken)
    {
        if (plane.Sessions.FindOpen(id) is { } open)
        {
            return (await WithAnnotationsAsync([open.Snapshot()], cancellationToken).ConfigureAwait(false))[0];
        }

        if (plane.Sessions.FindClosed(id) is { } closed)
        {
            return (await WithAnnotationsAsync([closed], cancellationToken).ConfigureAwait(false))[0];
        }

        // The store holds a just-closed session as open until the writer has committed its close.
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        var session = plane.Sessions.FindOpen(id)?.Snapshot()
            ?? await store.GetSessionAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw CommandException.NotFound($"Session {id} does not exist (or is no longer kept).");
        return (await WithAnnotationsAsync([session], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Sets what a person marked on a session (<paramref name="seq"/> null) or one of its captured messages;
    /// a 404 for a session or message that is not there. Returns the session or message as it now reads.
    /// </summary>
    public async Task<Annotations?> AnnotateAsync(long sessionId, long? seq, AnnotationsRequest request, CancellationToken cancellationToken)
    {
        var annotations = Annotations.From(request);
        var session = await GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (seq is { } message
            && (await FindAsync(new MessageQuery { SessionId = sessionId, AfterSeq = message - 1, Limit = 1 }, cancellationToken).ConfigureAwait(false) is not [{ } found] || found.Seq != message))
        {
            throw CommandException.NotFound($"Session {sessionId} has no captured message {message}.");
        }

        await store.SetAnnotationsAsync(sessionId, seq ?? 0, annotations, cancellationToken).ConfigureAwait(false);
        if (seq is null)
        {
            // Every dashboard shows the marks at once (sessionUpdated), not at its next poll.
            plane.Bus.Publish(new SessionUpdated(session with { Annotations = annotations.IsEmpty ? null : annotations }));
        }

        return annotations.IsEmpty ? null : annotations;
    }

    /// <summary>Live sessions (snapshots from memory) get the annotations the store keeps for them; stored rows already carry theirs.</summary>
    private async Task<List<SessionInfo>> WithAnnotationsAsync(List<SessionInfo> sessions, CancellationToken cancellationToken)
    {
        var missing = sessions.Where(s => s.Annotations is null).Select(s => s.Id).ToList();
        var found = missing.Count == 0 ? [] : await store.SessionAnnotationsAsync(missing, cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? sessions : sessions.Select(s => s.Annotations is null && found.TryGetValue(s.Id, out var a) ? s with { Annotations = a } : s).ToList();
    }

    /// <summary>
    /// Sessions in id order: the newest <paramref name="limit"/>, or the first <paramref name="limit"/>
    /// after <paramref name="afterId"/>. Open ones are live; closed ones come from the store, and from memory
    /// for listeners whose capture is off.
    /// </summary>
    public async Task<List<SessionInfo>> ListSessionsAsync(string? listenerId, string? state, long? afterId, int? limit, CancellationToken cancellationToken)
    {
        var (open, closed) = SessionQuery.States(state, whenAbsent: "open");
        var count = CheckSessionLimit(limit ?? MaxPage);
        var byId = await GatherAsync(listenerId, open, closed,
            () => store.ListSessionsAsync(listenerId, closedOnly: true, afterId, count, cancellationToken), flushed: false, cancellationToken).ConfigureAwait(false);
        var ordered = byId.Values.Where(s => afterId is null || s.Id > afterId).OrderBy(s => s.Id);
        return await WithAnnotationsAsync(afterId is null ? ordered.TakeLast(count).ToList() : ordered.Take(count).ToList(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A page of <paramref name="query"/>: stored closed sessions and live ones (open, and closed ones of
    /// listeners that capture nothing) under one order, and the cursor of the next page (null on the last).
    /// </summary>
    public async Task<(List<SessionInfo> Page, string? NextCursor)> QuerySessionsAsync(SessionQuery query, CancellationToken cancellationToken)
    {
        CheckSessionLimit(query.Limit);
        var flushed = false;
        if (query.Text is { } text)
        {
            // Sessions held in memory are matched against their messages' stored summaries here (the SQL matches stored rows itself).
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            flushed = true;
            query = query with { SummaryMatches = await store.SessionsWithSummaryAsync(text, cancellationToken).ConfigureAwait(false) };
        }

        var byId = await GatherAsync(query.ListenerId, query.Open, query.Closed,
            () => store.QueryClosedSessionsAsync(query, cancellationToken), flushed, cancellationToken).ConfigureAwait(false);
        var sort = query.Sort;
        var candidates = await WithAnnotationsAsync(byId.Values.Where(s => (s.State == SessionState.Open ? query.Open : query.Closed) && query.IsAfterCursor(s)).ToList(), cancellationToken)
            .ConfigureAwait(false);
        var rows = candidates.Where(query.Matches).ToList();
        rows.Sort((a, b) => sort.Compare(sort.KeyOf(a), a.Id, sort.KeyOf(b), b.Id));
        if (rows.Count <= query.Limit)
        {
            return (rows, null);
        }

        var page = rows.GetRange(0, query.Limit);
        var last = page[^1];
        return (page, new SessionCursor(sort.KeyOf(last), last.Id).Encode(sort));
    }

    /// <summary>
    /// Sessions by id from wherever they are: closed ones from the store (<paramref name="stored"/>, after a
    /// flush unless the caller just <paramref name="flushed"/>) and from memory (listeners that capture
    /// nothing), open ones live; a live session wins over a stored row of itself.
    /// </summary>
    private async Task<Dictionary<long, SessionInfo>> GatherAsync(string? listenerId, bool open, bool closed, Func<Task<List<SessionInfo>>> stored, bool flushed,
        CancellationToken cancellationToken)
    {
        var byId = new Dictionary<long, SessionInfo>();
        if (closed)
        {
            if (!flushed)
            {
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var session in await stored().ConfigureAwait(false))
            {
                byId[session.Id] = session;
            }

            foreach (var session in plane.Sessions.RecentlyClosed(listenerId))
            {
                byId[session.Id] = session;
            }
        }

        if (open)
        {
            foreach (var session in plane.Sessions.ListOpen(listenerId))
            {
                byId[session.Id] = session.Snapshot();
            }
        }

        return byId;
    }

    private static int CheckSessionLimit(int limit) => limit is < 1 or > MaxSessionPage
        ? throw CommandException.BadInput($"'limit' must be between 1 and {MaxSessionPage} (was {limit}).")
        : limit;

    /// <summary>A session's messages with full payloads (as captured), in seq order after <paramref name="afterSeq"/>.</summary>
    public async Task<List<MessageInfo>> SessionMessagesAsync(long sessionId, long? afterSeq, int? limit, CancellationToken cancellationToken)
    {
        var count = CheckLimit(limit);
        await GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        return await FindAsync(new MessageQuery { SessionId = sessionId, AfterSeq = afterSeq, Limit = count }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks changed after <paramref name="afterChange"/> (the cluster's shipper reads them).</summary>
    public Task<List<AnnotationChange>> AnnotationChangesAsync(long afterChange, int limit, CancellationToken cancellationToken) =>
        store.AnnotationChangesAsync(afterChange, limit, cancellationToken);

    /// <summary>Searches every captured message; see <see cref="MessageQuery"/>.</summary>
    public async Task<List<MessageInfo>> FindAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        CheckLimit(query.Limit);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await store.FindMessagesAsync(query with { MaxBytes = _pageBytes }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every captured message of the query, streamed (exports), after a flush.</summary>
    public async IAsyncEnumerable<MessageInfo> StreamAsync(MessageQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var message in store.StreamMessagesAsync(query, cancellationToken).ConfigureAwait(false))
        {
            yield return message;
        }
    }

    /// <summary>Sessions overlapping a time range, for exports: live snapshots where open.</summary>
    public async Task<List<SessionInfo>> SessionsBetweenAsync(string? listenerId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        var stored = await store.SessionsBetweenAsync(listenerId, from, to, cancellationToken).ConfigureAwait(false);
        return stored.Select(s => plane.Sessions.FindOpen(s.Id)?.Snapshot() ?? s).ToList();
    }

    /// <summary>The audit trail, newest first; page on with <paramref name="beforeId"/>.</summary>
    public async Task<List<Security.AuditEntry>> AuditAsync(long? beforeId, int? limit, CancellationToken cancellationToken)
    {
        var count = CheckLimit(limit);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await store.ReadAuditAsync(beforeId, count, cancellationToken).ConfigureAwait(false);
    }

    private static int CheckLimit(int? limit)
    {
        var count = limit ?? MaxPage;
        return count is < 1 or > MaxPage
            ? throw CommandException.BadInput($"'limit' must be between 1 and {MaxPage} (was {count}).")
            : count;
    }
}
