using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gateway.Traffic;

/// <summary>
/// One observer's bounded view of the event stream, bounded both in events and in the payload bytes they
/// hold. The data plane only ever calls <see cref="Offer"/>, which never waits: when the observer is
/// behind, the event is dropped and counted.
/// </summary>
internal sealed class ObserverSubscription
{
    private readonly Channel<TrafficEvent> _channel;
    private readonly long _maxBytes;
    private long _pendingBytes;
    private long _dropped;
    private long _delivered;

    public ObserverSubscription(string name, int capacity, long maxBytes)
    {
        Name = name;
        Capacity = capacity;
        _maxBytes = maxBytes;
        // FullMode.Wait makes TryWrite report a full channel (DropWrite would drop silently).
        _channel = Channel.CreateBounded<TrafficEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    public string Name { get; }

    public int Capacity { get; }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Delivered => Interlocked.Read(ref _delivered);

    public int Pending => _channel.Reader.Count;

    /// <summary>Payload bytes held by the queued messages.</summary>
    public long PendingBytes => Interlocked.Read(ref _pendingBytes);

    public Task Completion => _channel.Reader.Completion;

    /// <summary>Queues the event if there is room in count and bytes; otherwise counts it as dropped. Never blocks.</summary>
    public bool Offer(TrafficEvent trafficEvent)
    {
        var weight = Weight(trafficEvent);
        // A message bigger than the whole byte budget still goes through when nothing else is queued.
        var pending = Interlocked.Add(ref _pendingBytes, weight);
        if ((pending > _maxBytes && pending != weight) || !_channel.Writer.TryWrite(trafficEvent))
        {
            Interlocked.Add(ref _pendingBytes, -weight);
            Interlocked.Increment(ref _dropped);
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

    private static int Weight(TrafficEvent trafficEvent) => trafficEvent is TrafficMessage message ? message.Size : 0;
}
