namespace Gateway.Traffic;

/// <summary>
/// Something the <see cref="TrafficEventBus"/> hands every event to. <see cref="Offer"/> runs on the data
/// plane and must never wait: an observer that is behind drops the event and counts it.
/// </summary>
internal interface ITrafficObserver
{
    string Name { get; }

    /// <summary>The queue bound, in events.</summary>
    int Capacity { get; }

    int Pending { get; }

    long PendingBytes { get; }

    long Dropped { get; }

    void Offer(TrafficEvent trafficEvent);

    /// <summary>No more events will come.</summary>
    void Complete();
}
