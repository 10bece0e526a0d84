namespace Gateway.Traffic;

/// <summary>Gateway-wide counters, bumped by the data plane without locks.</summary>
internal sealed class TrafficTotals
{
    private long _bytesIn;
    private long _bytesOut;
    private long _messagesIn;
    private long _messagesOut;
    private long _sessions;
    private long _refused;

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long MessagesIn => Interlocked.Read(ref _messagesIn);

    public long MessagesOut => Interlocked.Read(ref _messagesOut);

    public long Sessions => Interlocked.Read(ref _sessions);

    public void SessionOpened() => Interlocked.Increment(ref _sessions);

    /// <summary>Connections or UDP peers refused at a session limit.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public void SessionRefused() => Interlocked.Increment(ref _refused);

    public void Add(Direction direction, int bytes)
    {
        if (direction == Direction.In)
        {
            Interlocked.Add(ref _bytesIn, bytes);
            Interlocked.Increment(ref _messagesIn);
        }
        else
        {
            Interlocked.Add(ref _bytesOut, bytes);
            Interlocked.Increment(ref _messagesOut);
        }
    }
}
