using System.Collections.Concurrent;
using System.Collections.Immutable;
using Gateway.Configuration;
using Gateway.Traffic;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Gateway.Hubs;

/// <summary>
/// The hub's observer of the data plane: reads its bounded subscription and hands each event to every
/// connected client's own <see cref="HubClientFeed"/>. Never awaits a client.
/// </summary>
internal sealed class TrafficBroadcaster : BackgroundService
{
    private readonly TrafficEventBus _bus;
    private readonly IHubContext<TrafficHub> _hub;
    private readonly WatchOptions _options;
    private readonly ILogger _logger;
    private readonly ObserverSubscription _subscription;
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
        _subscription = bus.Subscribe("hub", options.Value.Observers.ChannelCapacity, options.Value.Observers.MaxPendingBytes);
    }

    public int ClientCount => _feeds.Length;

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
        _bus.Unsubscribe(_subscription);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var feed in _feeds)
        {
            await feed.StopAsync().ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var trafficEvent in _subscription.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var feed in _feeds)
                {
                    feed.Offer(trafficEvent);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
