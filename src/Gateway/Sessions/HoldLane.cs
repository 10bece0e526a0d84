using System.Threading.Channels;
using Gateway.Intercept;

namespace Gateway.Sessions;

/// <summary>
/// One relay direction's queue while interception holds a message: the held message and everything read
/// after it wait here, in order, for at most <c>Gateway:Intercept:MaxHeldPerSession</c> entries; past
/// that the direction stops reading, so the sender feels TCP back-pressure instead of the gateway
/// buffering without bound.
/// </summary>
internal sealed class HoldLane(int capacity)
{
    private readonly Channel<Entry> _entries = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _slots = new(capacity, capacity);
    private int _inUse;
    private Task? _drainer;

    /// <summary>True while any entry is queued or being forwarded: later messages must queue behind it.</summary>
    public bool InUse => Volatile.Read(ref _inUse) > 0;

    /// <summary>Waits, before the next read, while the lane is full: the direction stops reading.</summary>
    public async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (InUse)
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            _slots.Release();
        }
    }

    /// <summary>Queues a message (held or behind a held one). The pump waited for room first, so this never blocks.</summary>
    public void Enqueue(byte[] payload, HeldMessage? held, Func<ChannelReader<Entry>, Task> drain)
    {
        _slots.Wait(0);
        Interlocked.Increment(ref _inUse);
        _drainer ??= Task.Run(() => drain(_entries.Reader), CancellationToken.None);
        _entries.Writer.TryWrite(new Entry(payload, held));
    }

    /// <summary>The drainer has forwarded (or dropped) an entry.</summary>
    public void Done()
    {
        Interlocked.Decrement(ref _inUse);
        _slots.Release();
    }

    /// <summary>No more entries: waits until everything queued was forwarded or dropped.</summary>
    public async Task CompleteAsync()
    {
        _entries.Writer.TryComplete();
        if (_drainer is { } drainer)
        {
            await drainer.ConfigureAwait(false);
        }
    }

    internal readonly record struct Entry(byte[] Payload, HeldMessage? Held);
}
