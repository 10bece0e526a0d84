namespace Gateway.Intercept;

/// <summary>
/// Bytes relays keep waiting because of interception or faults: held messages, what queues behind them,
/// and datagrams waiting for a delayed UDP relay. Bounded per session
/// (<c>Gateway:Intercept:MaxHeldBytesPerSession</c>) and gateway-wide (<c>MaxHeldBytes</c>): past either, a
/// stream relay stops reading that direction and a UDP relay drops the datagram (counted).
/// </summary>
internal sealed class HoldBudget(long maxPerSession, long max)
{
    private long _bytes;
    private long _droppedDatagrams;
    private long _droppedBytes;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long MaxPerSession { get; } = maxPerSession;

    public long Max { get; } = max;

    /// <summary>Bytes waiting now, across every relay.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public long DroppedDatagrams => Interlocked.Read(ref _droppedDatagrams);

    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    /// <summary>Completes at the next release anywhere: waiters check again whether there is room.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Whether a session that keeps <paramref name="sessionBytes"/> waiting may take more.</summary>
    public bool HasRoom(long sessionBytes) => sessionBytes < MaxPerSession && Bytes < Max;

    /// <summary>Counts bytes a stream relay has already read (it then stops reading until there is room).</summary>
    public void Take(ref long sessionBytes, int bytes)
    {
        Interlocked.Add(ref sessionBytes, bytes);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>Takes room for a datagram, or counts it as dropped when the session or the gateway is at its bound.</summary>
    public bool TryTake(ref long sessionBytes, int bytes)
    {
        if (Interlocked.Read(ref sessionBytes) + bytes > MaxPerSession || Bytes + bytes > Max)
        {
            Interlocked.Increment(ref _droppedDatagrams);
            Interlocked.Add(ref _droppedBytes, bytes);
            return false;
        }

        Take(ref sessionBytes, bytes);
        return true;
    }

    public void Give(ref long sessionBytes, long bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        Interlocked.Add(ref sessionBytes, -bytes);
        Interlocked.Add(ref _bytes, -bytes);
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
