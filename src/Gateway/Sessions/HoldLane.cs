using System.Threading.Channels;
using Gateway.Intercept;

namespace Gateway.Sessions;

/// <summary>
/// One relay direction's queue while interception holds a message: the held message and everything read
/// after it wait here, in order, for at most <c>Gateway:Intercept:MaxHeldPerSession</c> entries and the
/// <see cref="HoldBudget"/>'s bytes; past either the direction stops reading, so the sender feels TCP
/// back-pressure instead of the gateway buffering without bound.
/// </summary>
internal sealed class HoldLane(int capacity, HoldBudget budget)
{
    private readonly Channel<Entry> _entries = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _inUse;
    private long _bytes;
    private int _released;
    private Task? _drainer;

    /// <summary>True while any entry is queued or being forwarded: later messages must queue behind it.</summary>
    public bool InUse => Volatile.Read(ref _inUse) > 0;

    /// <summary>Payload bytes this lane keeps waiting.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    private bool HasRoom => !InUse || (Volatile.Read(ref _inUse) < capacity && budget.HasRoom(Bytes));

    /// <summary>
    /// Waits, before the next read, while the lane is full (entries or bytes, here or gateway-wide): the
    /// direction stops reading. <paramref name="peerGone"/> is started only when it must wait, and ends the
    /// wait when the peer has closed or reset (its next read then says so, and the session does not hang).
    /// </summary>
    public async ValueTask WaitForRoomAsync(Func<Task> peerGone, CancellationToken cancellationToken)
    {
        Task? gone = null;
        while (true)
        {
            var changed = budget.Changed;
            if (HasRoom)
            {
                return;
            }

            gone ??= peerGone();
            if (await Task.WhenAny(changed, gone).WaitAsync(cancellationToken).ConfigureAwait(false) == gone)
            {
                return;
            }
        }
    }

    /// <summary>Queues a message (held or behind a held one). The pump waited for room first, so this never blocks.</summary>
    public void Enqueue(Entry entry, Func<ChannelReader<Entry>, Task> drain)
    {
        Interlocked.Increment(ref _inUse);
        budget.Take(ref _bytes, entry.Wire.Length);
        _drainer ??= Task.Run(() => drain(_entries.Reader), CancellationToken.None);
        _entries.Writer.TryWrite(entry);
    }

    /// <summary>The drainer has forwarded (or dropped) an entry.</summary>
    public void Done(Entry entry)
    {
        Interlocked.Decrement(ref _inUse);
        if (Volatile.Read(ref _released) == 0)
        {
            budget.Give(ref _bytes, entry.Wire.Length);
        }
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

    /// <summary>The session is closing: whatever is still queued gives its bytes back to the budget.</summary>
    public void Release()
    {
        _entries.Writer.TryComplete();
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            budget.Give(ref _bytes, Bytes);
        }
    }

    /// <summary>A message waiting: as the rules left it, its bytes on the wire, its hold (if held) and what the rules decided.</summary>
    internal readonly record struct Entry(byte[] Payload, byte[] Wire, HeldMessage? Held, Pipeline.RuleOutcome? Outcome);
}
