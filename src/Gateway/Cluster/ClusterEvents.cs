using System.Text.Json;
using Gateway.Configuration;
using Gateway.Hubs;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Cluster;

/// <summary>
/// Every node's live events on every node's hub: each node publishes what its sessions do (opened, updated,
/// closed, their messages' previews and summaries, messages held and released) on one Redis channel, and hands what the others publish
/// to its own hub clients' feeds, which filter it by what each client watches and bound it as they bound
/// their own node's events. The data plane only offers events to a bounded queue here; when Redis is
/// away, what cannot be published is dropped and counted, and dashboards fill the gap from REST by seq.
/// Remote events reach hub clients only: the capture store, decoders and rules see their own node's.
/// </summary>
internal sealed class ClusterEvents : BackgroundService, ITrafficObserver
{
    private const int MaxBatch = 256;
    private readonly ObserverSubscription _queue;
    private readonly TrafficEventBus _bus;
    private readonly TrafficBroadcaster _broadcaster;
    private readonly ClusterNode _node;
    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<ClusterEvents> _logger;
    private readonly int _previewBytes;
    private readonly RedisChannel _channel;
    private long _received;
    private long _publishFailures;

    /// <summary>The other nodes' open sessions, as their events told (what a node that dies leaves behind).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, SessionInfo> _remoteOpen = new();

    /// <summary>Sessions of nodes that died, closed "node lost" here; the newest <see cref="MaxLost"/>.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<SessionInfo> _lost = new();
    private const int MaxLost = 10_000;
    public const string NodeLost = "node lost";

    public ClusterEvents(TrafficEventBus bus, TrafficBroadcaster broadcaster, ClusterNode node, IConnectionMultiplexer redis, IOptions<GatewayOptions> options, ILogger<ClusterEvents> logger)
    {
        _bus = bus;
        _broadcaster = broadcaster;
        _node = node;
        _redis = redis;
        _logger = logger;
        _previewBytes = options.Value.Watch.MaxPreviewBytes;
        _channel = RedisChannel.Literal($"socket-gateway:{options.Value.Cluster.ClusterId}:events");
        _queue = new ObserverSubscription("cluster", options.Value.Cluster.EventQueueCapacity, options.Value.Cluster.EventQueueBytes);
        bus.Subscribe(this);
    }

    public string Name => _queue.Name;

    public int Capacity => _queue.Capacity;

    public int Pending => _queue.Pending;

    public long PendingBytes => _queue.PendingBytes;

    /// <summary>Events not relayed: the queue was full, or Redis did not take them.</summary>
    public long Dropped => _queue.Dropped + Interlocked.Read(ref _publishFailures);

    /// <summary>Events received from the other nodes.</summary>
    public long Received => Interlocked.Read(ref _received);

    public void Complete() => _queue.Complete();

    /// <summary>Sessions of dead nodes, closed with reason <c>node lost</c>.</summary>
    public IEnumerable<SessionInfo> Lost => _lost;

    /// <summary>
    /// A node was declared dead: its sessions this node knew open are closed "node lost", for this node's
    /// hub clients and lists. (Each node does this for itself: the dead one cannot tell anyone.)
    /// </summary>
    public void MarkLost(string nodeId, DateTimeOffset at)
    {
        foreach (var (id, session) in _remoteOpen)
        {
            if (session.Node == nodeId && _remoteOpen.TryRemove(id, out _))
            {
                var closed = session with { State = SessionState.Closed, ClosedAt = at, CloseReason = NodeLost };
                _lost.Enqueue(closed);
                while (_lost.Count > MaxLost && _lost.TryDequeue(out _))
                {
                }

                _broadcaster.Offer(new SessionClosed(closed));
            }
        }
    }

    /// <summary>Sessions another node has open now, as its answer to a query says (a node that starts late learns them so).</summary>
    public void Learn(IEnumerable<SessionInfo> open)
    {
        foreach (var session in open.Where(s => s.State == SessionState.Open && s.Node != _node.Id))
        {
            _remoteOpen.TryAdd(session.Id, session);
        }
    }

    /// <summary>On the data plane: what the other nodes' clients may watch goes to the queue (messages as their hub previews).</summary>
    public void Offer(TrafficEvent trafficEvent)
    {
        switch (trafficEvent)
        {
            case TrafficMessage message:
                _queue.Offer(message.Data.Length > _previewBytes ? message with { Data = message.Data[.._previewBytes], Size = message.Size } : message);
                break;
            case SessionOpened or SessionClosed or SessionUpdated or MessageDecoded or MessageHeld or HeldReleased:
                _queue.Offer(trafficEvent);
                break;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriber = _redis.GetSubscriber();
        // Subscribed once; StackExchange.Redis subscribes again by itself when the connection comes back.
        await subscriber.SubscribeAsync(_channel, (_, value) => Receive(value)).ConfigureAwait(false);
        var batch = new List<RelayedEvent>(MaxBatch);
        try
        {
            while (await _queue.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (batch.Count < MaxBatch && _queue.TryRead(out var next))
                {
                    batch.Add(RelayedEvent.From(next));
                }

                try
                {
                    await subscriber.PublishAsync(_channel, JsonSerializer.SerializeToUtf8Bytes(new RelayedBatch(_node.Id!, batch), ClusterJson.Options)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Redis away or slow (a RedisTimeoutException is no RedisException): these events are lost and counted; the node goes on.
                    Interlocked.Add(ref _publishFailures, batch.Count);
                    ClusterLog.PublishFailed(_logger, batch.Count, ex.Message);
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            _bus.Unsubscribe(this);
            try
            {
                await subscriber.UnsubscribeAsync(_channel).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Stopping while Redis is away: nothing to unsubscribe from.
            }
        }
    }

    private void Receive(RedisValue value)
    {
        RelayedBatch? batch;
        try
        {
            batch = JsonSerializer.Deserialize<RelayedBatch>((byte[])value!, ClusterJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or InvalidCastException)
        {
            return; // not one of ours
        }

        if (batch is null || batch.Origin == _node.Id)
        {
            return;
        }

        foreach (var relayed in batch.Events)
        {
            if (relayed.ToEvent() is { } trafficEvent)
            {
                Interlocked.Increment(ref _received);
                switch (trafficEvent)
                {
                    case SessionOpened or SessionUpdated when relayed.Session!.State == SessionState.Open:
                        _remoteOpen[relayed.Session.Id] = relayed.Session;
                        break;
                    case SessionClosed:
                        _remoteOpen.TryRemove(relayed.Session!.Id, out _);
                        break;
                }

                _broadcaster.Offer(trafficEvent);
            }
        }
    }
}

/// <summary>What one node publishes at a time.</summary>
internal sealed record RelayedBatch(string Origin, List<RelayedEvent> Events);

/// <summary>One event as it travels between nodes: its kind and what it carries.</summary>
internal sealed record RelayedEvent(string Kind, SessionInfo? Session = null, RelayedMessage? Message = null, long Seq = 0, long SessionId = 0, string? ListenerId = null, string? Summary = null,
    Intercept.HeldInfo? Held = null, Intercept.HeldReleasedInfo? Released = null)
{
    public static RelayedEvent From(TrafficEvent trafficEvent) => trafficEvent switch
    {
        TrafficMessage m => new("message", Message: new RelayedMessage(m.Seq, m.SessionId, m.ListenerId, m.Direction, m.At, m.Data, m.Size, m.Faults, m.Rules, m.Tags, m.Node)),
        SessionOpened e => new("opened", e.Session),
        SessionClosed e => new("closed", e.Session),
        SessionUpdated e => new("updated", e.Session),
        MessageDecoded d => new("decoded", Seq: d.Seq, SessionId: d.SessionId, ListenerId: d.ListenerId, Summary: d.Summary),
        MessageHeld h => new("held", Held: h.Held),
        HeldReleased r => new("released", Released: r.Released),
        _ => throw new ArgumentOutOfRangeException(nameof(trafficEvent)),
    };

    public TrafficEvent? ToEvent() => Kind switch
    {
        "message" when Message is { } m => new TrafficMessage(m.Seq, m.SessionId, m.ListenerId, m.Direction, m.At, m.Data, m.Faults) { Size = m.Size, Rules = m.Rules, Tags = m.Tags, Node = m.Node },
        "opened" when Session is not null => new SessionOpened(Session),
        "closed" when Session is not null => new SessionClosed(Session),
        "updated" when Session is not null => new SessionUpdated(Session),
        "decoded" when Summary is not null => new MessageDecoded(Seq, SessionId, ListenerId, Summary),
        "held" when Held is not null => new MessageHeld(Held),
        "released" when Released is not null => new HeldReleased(Released),
        _ => null,
    };
}

/// <summary>A message's preview as it travels between nodes.</summary>
internal sealed record RelayedMessage(long Seq, long SessionId, string? ListenerId, Direction Direction, DateTimeOffset At, byte[] Data, int Size,
    IReadOnlyList<string>? Faults, IReadOnlyList<string>? Rules, IReadOnlyList<string>? Tags, string? Node);

internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Cluster: {Count} live events not relayed to the other nodes: {Reason}")]
    public static partial void PublishFailed(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Cluster: node {Node} was declared dead; its sessions are closed here as 'node lost'")]
    public static partial void NodeLost(ILogger logger, string node);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Cluster: listener {Listener} is not bound on node {Node}: {Reason}")]
    public static partial void ListenerNotBound(ILogger logger, string listener, string node, string reason);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Warning, Message = "Cluster: the settings of listener {Listener} hold on this node but are not shared yet ({Reason}); they are when PostgreSQL answers")]
    public static partial void SettingsNotShared(ILogger logger, string listener, string reason);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Warning, Message = "Cluster: the shared settings of listener {Listener} are not applied on node {Node}: {Reason}")]
    public static partial void SettingsNotApplied(ILogger logger, string listener, string node, string reason);

    [LoggerMessage(EventId = 9008, Level = LogLevel.Warning, Message = "Cluster: reading the cluster's listeners failed ({Reason}); tried again every 2 s")]
    public static partial void ReconcileFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning, Message = "Cluster: shipping history to PostgreSQL paused ({Reason}); it resumes after the last committed message")]
    public static partial void ShippingPaused(ILogger logger, string reason);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Warning, Message = "Cluster: following the membership failed once ({Reason}); it goes on")]
    public static partial void WatchFailed(ILogger logger, string reason);
}
