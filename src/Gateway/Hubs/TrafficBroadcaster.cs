using System.Collections.Concurrent;
using System.Collections.Immutable;
using Gateway.Configuration;
using Gateway.Traffic;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Gateway.Hubs;

/// <summary>
/// The hub's observer of the data plane: hands each event, on the thread that published it, to every
/// connected client's own <see cref="HubClientFeed"/>, whose bounded queue takes it or drops it and counts
/// (never waiting). No queue of its own in between: with nobody connected, or nobody watching a message,
/// the event costs a loop over the clients and nothing else: no channel write, no thread woken per message.
/// </summary>
internal sealed class TrafficBroadcaster : BackgroundService, ITrafficObserver
{
    private readonly TrafficEventBus _bus;
    private readonly IHubContext<TrafficHub> _hub;
    private readonly WatchOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, HubClientFeed> _byId = new();
    private readonly object _gate = new();
    private ImmutableArray<HubClientFeed> _feeds = [];
    private long _droppedByGone;

    public TrafficBroadcaster(TrafficEventBus bus, IHubContext<TrafficHub> hub, IOptions<GatewayOptions> options, ILogger<TrafficBroadcaster> logger)
    {
        _logger = logger;
        _bus = bus;
        _hub = hub;
        _options = options.Value.Watch;
        bus.Subscribe(this);
    }

    public string Name => "hub";

    /// <summary>Each client's own bound (the broadcaster keeps no queue; its clients' drops are <see cref="ClientDropped"/>).</summary>
    public int Capacity => _options.ClientQueueCapacity;

    public int Pending => 0;

    public long PendingBytes => 0;

    public long Dropped => 0;

    /// <summary>Runs on the data plane: each client's feed filters by what it watches and queues without waiting.</summary>
    public void Offer(TrafficEvent trafficEvent)
    {
        foreach (var feed in _feeds)
        {
            feed.Offer(trafficEvent);
        }
    }

    public void Complete()
    {
    }

    public int ClientCount => _feeds.Length;

    /// <summary>The connected clients' feeds.</summary>
    public IReadOnlyList<HubClientFeed> Feeds => _feeds;

    /// <summary>Events dropped by clients' own queues, connected or gone.</summary>
    public long ClientDropped => Interlocked.Read(ref _droppedByGone) + _feeds.Sum(f => f.Dropped);

    public int ClientPending => _feeds.Sum(f => f.Pending);

    public long ClientPendingBytes => _feeds.Sum(f => f.PendingBytes);

    public HubClientFeed Attach(string connectionId)
    {
        var feed = new HubClientFeed(connectionId, _hub.Clients.Client(connectionId), _options, _logger);
        lock (_gate)
        {
            _byId[connectionId] = feed;
            _feeds = _feeds.Add(feed);
        }

        return feed;
    }

    public async Task DetachAsync(string connectionId)
    {
        HubClientFeed? feed;
        lock (_gate)
        {
            if (!_byId.TryRemove(connectionId, out feed))
            {
                return;
            }

            _feeds = _feeds.Remove(feed);
        }

        await feed.StopAsync().ConfigureAwait(false);
        Interlocked.Add(ref _droppedByGone, feed.Dropped);
    }

    public HubClientFeed? Find(string connectionId) => _byId.GetValueOrDefault(connectionId);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _bus.Unsubscribe(this);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var feed in _feeds)
        {
            await feed.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Nothing to run: events arrive through <see cref="Offer"/>; the host stops it, and its clients' feeds, after the listeners.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
}
