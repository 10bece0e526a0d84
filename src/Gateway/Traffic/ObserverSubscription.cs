using System.Threading.Channels;

namespace Gateway.Traffic;

/// <summary>
/// One observer's bounded view of the event stream. The data plane only ever calls <see cref="Offer"/>,
/// which never waits: when the observer is behind, the event is dropped and counted.
/// </summary>
internal sealed class ObserverSubscription<T> where T : class
{
    private readonly Channel<T> _channel;
    private long _dropped;
    private long _delivered;

    public ObserverSubscription(string name, int capacity)
    {
        Name = name;
        Capacity = capacity;
        // FullMode.Wait makes TryWrite report a full channel (DropWrite would drop silently).
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    public string Name { get; }

    public int Capacity { get; }

    public ChannelReader<T> Reader => _channel.Reader;

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Delivered => Interlocked.Read(ref _delivered);

    public int Pending => _channel.Reader.Count;

    /// <summary>Queues the item if there is room; otherwise counts it as dropped. Never blocks.</summary>
    public bool Offer(T item)
    {
        if (_channel.Writer.TryWrite(item))
        {
            Interlocked.Increment(ref _delivered);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    public void Complete() => _channel.Writer.TryComplete();
}
