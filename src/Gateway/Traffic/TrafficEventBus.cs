using System.Collections.Immutable;

namespace Gateway.Traffic;

/// <summary>
/// Fans the data plane's events out to observers, each through its own bounded channel.
/// Publishing is a few non-blocking channel writes: the data plane never waits for an observer.
/// </summary>
internal sealed class TrafficEventBus
{
    private readonly object _gate = new();
    private ImmutableArray<ITrafficObserver> _subscriptions = [];

    public ImmutableArray<ITrafficObserver> Subscriptions => _subscriptions;

    /// <summary>Events dropped by subscriptions that were removed, so totals never go down.</summary>
    private long _droppedByRemoved;

    public long Dropped
    {
        get
        {
            var total = Interlocked.Read(ref _droppedByRemoved);
            foreach (var subscription in _subscriptions)
            {
                total += subscription.Dropped;
            }

            return total;
        }
    }

    public ObserverSubscription Subscribe(string name, int capacity, long maxBytes) =>
        Subscribe(new ObserverSubscription(name, capacity, maxBytes));

    public T Subscribe<T>(T observer)
        where T : ITrafficObserver
    {
        lock (_gate)
        {
            _subscriptions = _subscriptions.Add(observer);
        }

        return observer;
    }

    public void Unsubscribe(ITrafficObserver subscription)
    {
        lock (_gate)
        {
            if (!_subscriptions.Contains(subscription))
            {
                return;
            }

            _subscriptions = _subscriptions.Remove(subscription);
            Interlocked.Add(ref _droppedByRemoved, subscription.Dropped);
        }

        subscription.Complete();
    }

    public void Publish(TrafficEvent trafficEvent)
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Offer(trafficEvent);
        }
    }
}
