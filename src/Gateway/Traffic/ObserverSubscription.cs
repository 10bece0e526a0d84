using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gateway.Traffic;

/// <summary>
/// One observer's bounded view of the event stream, bounded both in events and in the payload bytes they
/// hold. The data plane only ever calls <see cref="Offer(TrafficEvent)"/>, which never waits: when the observer is
/// behind, the event is dropped and counted.
/// </summary>
internal sealed class ObserverSubscription : ITrafficObserver
{
    // The bounds are kept here rather than by a bounded channel, so that an observer that makes its
    // producers wait (capture back-pressure) can admit an event past them.
    private readonly Channel<TrafficEvent> _channel = Channel.CreateUnbounded<TrafficEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly long _maxBytes;
    private long _pendingBytes;
    private int _pending;
    private long _dropped;
    private long _droppedBytes;
    private long _delivered;

    public ObserverSubscription(string name, int capacity, long maxBytes)
    {
        Name = name;
        Capacity = capacity;
        _maxBytes = maxBytes;
    }

    public string Name { get; }

    public int Capacity { get; }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Payload bytes of the dropped messages.</summary>
    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    public long Delivered => Interlocked.Read(ref _delivered);

    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Payload bytes held by the queued messages.</summary>
    public long PendingBytes => Interlocked.Read(ref _pendingBytes);

    public Task Completion => _channel.Reader.Completion;

    /// <summary>Queues the event if there is room in count and bytes; otherwise counts it as dropped. Never blocks.</summary>
    public bool Offer(TrafficEvent trafficEvent) => Offer(trafficEvent, bounded: true);

    void ITrafficObserver.Offer(TrafficEvent trafficEvent) => Offer(trafficEvent, bounded: true);

    /// <summary>
    /// Queues the event; with <paramref name="bounded"/> false, past the bounds too. Only an observer whose
    /// producers wait for it to catch up may do that, or its queue would grow without bound.
    /// </summary>
    public bool Offer(TrafficEvent trafficEvent, bool bounded)
    {
        var weight = Weight(trafficEvent);
        // A message bigger than the whole byte budget still goes through when nothing else is queued.
        var pendingBytes = Interlocked.Add(ref _pendingBytes, weight);
        var pending = Interlocked.Increment(ref _pending);
        if ((bounded && ((pendingBytes > _maxBytes && pendingBytes != weight) || pending > Capacity))
            || !_channel.Writer.TryWrite(trafficEvent))
        {
            Interlocked.Add(ref _pendingBytes, -weight);
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _dropped);
            Interlocked.Add(ref _droppedBytes, weight);
            return false;
        }

        Interlocked.Increment(ref _delivered);
        return true;
    }

    public bool TryRead(out TrafficEvent trafficEvent)
    {
        if (!_channel.Reader.TryRead(out trafficEvent!))
        {
            return false;
        }

        Interlocked.Add(ref _pendingBytes, -Weight(trafficEvent));
        Interlocked.Decrement(ref _pending);
        return true;
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    public async IAsyncEnumerable<TrafficEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryRead(out var trafficEvent))
            {
                yield return trafficEvent;
            }
        }
    }

    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>What an event weighs against the byte bound: a message's payload size.</summary>
    public static int Weight(TrafficEvent trafficEvent) => trafficEvent is TrafficMessage message ? message.Data.Length : 0;
}
