using System.Collections.Concurrent;
using Gateway.Traffic;

namespace Gateway.Capture;

/// <summary>
/// Each listener's share of the capture queue (outbound sessions share one), so that one listener's flood
/// (say, millions of zero-length frames) cannot crowd out another's messages. A message costs its payload
/// plus <see cref="RowCost"/>, what its row costs the writer whatever its size. No
/// listener may hold more than its fair part of the queue — in messages and in cost — leaving the rest
/// for the others: <c>1 / (listeners waiting + 1)</c> of each bound (half the queue while it is alone).
/// </summary>
internal sealed class CaptureShares(int capacity, long maxCost)
{
    /// <summary>What one queued message costs besides its payload (the row, its index entries, the event).</summary>
    public const int RowCost = 64;

    // Ordinal: a message carries its listener's own id string, never another spelling of it.
    private readonly ConcurrentDictionary<string, Share> _shares = new(StringComparer.Ordinal);
    private int _active;

    public static long Cost(TrafficMessage message) => CaptureFeed.PayloadBytes(message) + RowCost;

    /// <summary>
    /// Whether the message's listener stays within its part of the queue with this message. Alone, a
    /// listener may fill half the queue: the other half is there for whoever comes next.
    /// </summary>
    public bool Admits(TrafficMessage message, bool alreadyAdded)
    {
        var share = ShareOf(message);
        var parts = Math.Max(1, Volatile.Read(ref _active)) + 1;
        var pending = Volatile.Read(ref share.Pending) - (alreadyAdded ? 1 : 0);
        var cost = Interlocked.Read(ref share.Cost) - (alreadyAdded ? Cost(message) : 0);
        return pending < Math.Max(1, capacity / parts) && cost + Cost(message) <= Math.Max(RowCost, maxCost / parts);
    }

    public void Added(TrafficMessage message)
    {
        var share = ShareOf(message);
        Interlocked.Add(ref share.Cost, Cost(message));
        if (Interlocked.Increment(ref share.Pending) == 1)
        {
            Interlocked.Increment(ref _active);
        }
    }

    public void Removed(TrafficMessage message)
    {
        var share = ShareOf(message);
        Interlocked.Add(ref share.Cost, -Cost(message));
        if (Interlocked.Decrement(ref share.Pending) == 0)
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private Share ShareOf(TrafficMessage message) => _shares.GetOrAdd(message.ListenerId ?? "", _ => new Share());

    private sealed class Share
    {
        public int Pending;
        public long Cost;
    }
}
