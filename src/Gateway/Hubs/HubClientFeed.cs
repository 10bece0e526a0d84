using Gateway.Configuration;
using Gateway.Traffic;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Hubs;

/// <summary>
/// One hub client's own bounded queue and the task that drains it. A client that reads slowly fills
/// only its own queue; past the bound its events are dropped and counted, and nobody else waits.
/// </summary>
internal sealed class HubClientFeed
{
    private readonly object _gate = new();
    private readonly IClientProxy _client;
    private readonly ObserverSubscription _queue;
    private readonly WatchOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private volatile WatchSet _watch = WatchSet.None;

    public HubClientFeed(string connectionId, IClientProxy client, WatchOptions options, ILogger logger)
    {
        _logger = logger;
        ConnectionId = connectionId;
        _client = client;
        _options = options;
        _queue = new ObserverSubscription(connectionId, options.ClientQueueCapacity, options.ClientQueueBytes);
        _pump = Task.Run(PumpAsync);
    }

    public string ConnectionId { get; }

    public long Dropped => _queue.Dropped;

    /// <summary>The sessions this client watches one by one (<c>session:{id}</c>).</summary>
    public IReadOnlySet<long> WatchedSessions => _watch.Sessions;

    public int Pending => _queue.Pending;

    public long PendingBytes => _queue.PendingBytes;

    public void Watch(WatchScope scope)
    {
        lock (_gate)
        {
            _watch = _watch.With(scope);
        }
    }

    public void Unwatch(WatchScope scope)
    {
        lock (_gate)
        {
            _watch = _watch.Without(scope);
        }
    }

    /// <summary>Queues the event if the client wants it. Lifecycle events go to every client.</summary>
    public void Offer(TrafficEvent trafficEvent)
    {
        if ((trafficEvent is TrafficMessage message && !_watch.Matches(message))
            || (trafficEvent is MessageDecoded decoded && !_watch.Matches(decoded.SessionId, decoded.ListenerId)))
        {
            return;
        }

        _queue.Offer(trafficEvent);
    }

    public async Task StopAsync()
    {
        _queue.Complete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
    }

    /// <summary>
    /// Sends what is queued: consecutive messages go as one <c>traffic</c> batch (up to
    /// <c>MaxBatchMessages</c>), flushed as soon as the queue is momentarily empty, so a batch never
    /// waits for more traffic; lifecycle events go in their place in the order. Under load, a client is
    /// sent at most one batch per <c>CoalesceMs</c>: the next one waits out the rest of that time and
    /// takes whatever came meanwhile, so that the cost of a send (a hub message, a WebSocket frame, a
    /// syscall) is paid per batch rather than per read. A client that was sent nothing for that long gets
    /// its next message at once.
    /// </summary>
    private async Task PumpAsync()
    {
        var batch = new List<MessageInfo>(_options.MaxBatchMessages);
        var batchBytes = 0;
        var coalesce = TimeSpan.FromMilliseconds(_options.CoalesceMs);
        var lastFlush = 0L;
        try
        {
            while (await _queue.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                batchBytes = await DrainAsync(batch, batchBytes).ConfigureAwait(false);
                var since = System.Diagnostics.Stopwatch.GetElapsedTime(lastFlush);
                if (batch.Count > 0 && since < coalesce && batch.Count < _options.MaxBatchMessages && batchBytes < _options.MaxBatchBytes)
                {
                    await Task.Delay(coalesce - since, _stop.Token).ConfigureAwait(false);
                    batchBytes = await DrainAsync(batch, batchBytes).ConfigureAwait(false);
                }

                if (batch.Count > 0)
                {
                    await FlushAsync(batch).ConfigureAwait(false);
                    batchBytes = 0;
                    lastFlush = System.Diagnostics.Stopwatch.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client disconnected.
        }
        catch (Exception ex)
        {
            // The connection broke under us; SignalR will report the disconnect and detach this feed.
            HubLog.FeedFailed(_logger, ConnectionId, ex);
        }
    }

    /// <summary>Moves what is queued into the batch until it is full; a lifecycle event flushes the batch and goes after it. Returns the batch's bytes.</summary>
    private async Task<int> DrainAsync(List<MessageInfo> batch, int batchBytes)
    {
        while (batch.Count < _options.MaxBatchMessages && batchBytes < _options.MaxBatchBytes && _queue.TryRead(out var next))
        {
            if (next is TrafficMessage message)
            {
                var info = MessageInfo.From(message, _options.MaxPreviewBytes);
                batch.Add(info);
                batchBytes += info.Data.Length;
                continue;
            }

            await FlushAsync(batch).ConfigureAwait(false);
            batchBytes = 0;
            await SendLifecycleAsync(next).ConfigureAwait(false);
        }

        return batchBytes;
    }

    private async Task FlushAsync(List<MessageInfo> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var messages = batch.ToArray();
        batch.Clear();
        await _client.SendAsync(HubEvents.Traffic, messages, _stop.Token).ConfigureAwait(false);
    }

    private Task SendLifecycleAsync(TrafficEvent trafficEvent) => trafficEvent switch
    {
        SessionOpened e => _client.SendAsync(HubEvents.SessionOpened, e.Session, _stop.Token),
        SessionClosed e => _client.SendAsync(HubEvents.SessionClosed, e.Session, _stop.Token),
        SessionUpdated e => _client.SendAsync(HubEvents.SessionUpdated, e.Session, _stop.Token),
        MessageDecoded e => _client.SendAsync(HubEvents.Decoded, new DecodedSummary(e.SessionId, e.Seq, e.Summary), _stop.Token),
        ListenerChanged e => _client.SendAsync(HubEvents.ListenerChanged, e.Listener, _stop.Token),
        MessageHeld e => _client.SendAsync(HubEvents.Held, e.Held, _stop.Token),
        HeldReleased e => _client.SendAsync(HubEvents.HeldReleased, e.Released, _stop.Token),
        _ => Task.CompletedTask,
    };
}

/// <summary>Names of the server-to-client hub events (a public contract).</summary>
internal static class HubEvents
{
    public const string Traffic = "traffic";
    public const string SessionOpened = "sessionOpened";
    public const string SessionClosed = "sessionClosed";
    public const string SessionUpdated = "sessionUpdated";
    public const string Decoded = "decoded";
    public const string ListenerChanged = "listenerChanged";
    public const string Held = "held";
    public const string HeldReleased = "heldReleased";
    public const string Counters = "counters";
}
