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
/// <param name="Held">What relays keep waiting for interception or faults, against its bounds.</param>
/// <param name="HttpConnectionsRefused">HTTP connections closed at once at <c>Gateway:Limits:MaxHttpConnections</c> since start.</param>
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
    long SessionsRefused,
    HeldStats Held,
    long HttpConnectionsRefused,
    DecodingStats Decoding);

/// <summary>Summaries made off the data plane.</summary>
/// <param name="Decoded">Messages decoded since start.</param>
/// <param name="Skipped">Messages that went without a summary because the decoder fell behind.</param>
/// <param name="Pending">Messages waiting to be decoded.</param>
/// <param name="Wireshark">Decoder <c>wireshark</c>'s own worker (tshark, in batches per session).</param>
public sealed record DecodingStats(long Decoded, long Skipped, int Pending, WiresharkStats Wireshark);

/// <summary>Live summaries made by tshark.</summary>
/// <param name="Available">Whether tshark is installed (decoder <c>wireshark</c> answers 501 when not).</param>
/// <param name="Decoded">Messages summarised since start.</param>
/// <param name="Skipped">Times messages went without a summary (too many sessions waiting, tshark missing or failing, messages not captured).</param>
/// <param name="PendingSessions">Sessions with messages waiting for the next run.</param>
public sealed record WiresharkStats(bool Available, long Decoded, long Skipped, int PendingSessions);

/// <summary>Bytes relays keep waiting (held messages, what queues behind them, delayed datagrams).</summary>
/// <param name="Messages">Messages held for a decision now.</param>
/// <param name="Bytes">Payload bytes waiting now, across relays.</param>
/// <param name="MaxBytesPerSession"><c>Gateway:Intercept:MaxHeldBytesPerSession</c>.</param>
/// <param name="MaxBytes"><c>Gateway:Intercept:MaxHeldBytes</c>.</param>
/// <param name="DroppedDatagrams">UDP datagrams dropped at those bounds since start.</param>
/// <param name="DroppedBytes">Their payload bytes.</param>
public sealed record HeldStats(int Messages, long Bytes, long MaxBytesPerSession, long MaxBytes, long DroppedDatagrams, long DroppedBytes);

/// <summary>One observer of the event stream.</summary>
/// <param name="Name"><c>hub</c> (the broadcaster's feed from the data plane), <c>capture</c> (the store's writer) or <c>hub clients</c> (their own queues, summed).</param>
/// <param name="Capacity">Queue bound (per client for <c>hub clients</c>).</param>
/// <param name="Pending">Events waiting now.</param>
/// <param name="PendingBytes">Payload bytes those events hold.</param>
/// <param name="Dropped">Events dropped because the queue was full (in events or bytes).</param>
public sealed record ObserverInfo(string Name, int Capacity, int Pending, long PendingBytes, long Dropped);
