namespace Gateway.Api;

/// <summary>Gateway-wide totals and the state of every observer.</summary>
/// <param name="StartedAt">When the gateway started (UTC).</param>
/// <param name="Listeners">Listeners configured.</param>
/// <param name="SessionsOpen">Sessions open now.</param>
/// <param name="SessionsTotal">Sessions opened since start.</param>
/// <param name="BytesIn">Bytes received from peers.</param>
/// <param name="BytesOut">Bytes sent to peers.</param>
/// <param name="MessagesIn">Messages received from peers.</param>
/// <param name="MessagesOut">Messages sent to peers.</param>
/// <param name="LastSeq">The newest message's seq.</param>
/// <param name="Dropped">Events observers lost because they fell behind (all observers and hub clients).</param>
/// <param name="HubClients">Hub clients connected.</param>
/// <param name="Observers">Each observer's queue: capacity, waiting, delivered, dropped.</param>
/// <param name="SessionsRefused">Connections and UDP peers refused at a session limit since start.</param>
/// <param name="Capture">The capture store: seen, captured, dropped and pending, in messages and payload bytes.</param>
public sealed record StatsInfo(
    DateTimeOffset StartedAt,
    int Listeners,
    int SessionsOpen,
    long SessionsTotal,
    long BytesIn,
    long BytesOut,
    long MessagesIn,
    long MessagesOut,
    long LastSeq,
    long Dropped,
    int HubClients,
    IReadOnlyList<ObserverInfo> Observers,
    Capture.CaptureStats Capture,
    long SessionsRefused);

/// <summary>One observer of the event stream.</summary>
/// <param name="Name"><c>hub</c> (the broadcaster's feed from the data plane), <c>capture</c> (the store's writer) or <c>hub clients</c> (their own queues, summed).</param>
/// <param name="Capacity">Queue bound (per client for <c>hub clients</c>).</param>
/// <param name="Pending">Events waiting now.</param>
/// <param name="PendingBytes">Payload bytes those events hold.</param>
/// <param name="Dropped">Events dropped because the queue was full (in events or bytes).</param>
public sealed record ObserverInfo(string Name, int Capacity, int Pending, long PendingBytes, long Dropped);
