namespace Gateway.Capture;

/// <summary>
/// The capture store's accounting. Payload bytes of <c>full</c> captures obey, at every quiet moment and
/// to the byte, <c>bytesSeen = bytesCaptured + bytesDropped + bytesPending</c>.
/// </summary>
/// <param name="Database">The database file.</param>
/// <param name="MessagesSeen">Messages of captured sessions (full or metadata) the data plane recorded.</param>
/// <param name="BytesSeen">Payload bytes of those messages under <c>full</c> capture.</param>
/// <param name="MessagesCaptured">Messages committed to the store.</param>
/// <param name="BytesCaptured">Payload bytes committed to the store.</param>
/// <param name="MessagesDropped">Messages lost because the writer was behind (or a write failed).</param>
/// <param name="BytesDropped">Their payload bytes.</param>
/// <param name="MessagesPending">Events read or queued, not yet committed.</param>
/// <param name="BytesPending">Their payload bytes.</param>
/// <param name="Behind">True while sessions of <c>backpressure</c> listeners are paused for the writer.</param>
/// <param name="StoredBytes">What retention counts: stored payloads plus 64 bytes per message, 256 per session row and per audit row.</param>
/// <param name="PrunedBytes">Removed by retention since start.</param>
/// <param name="Batches">Transactions committed since start.</param>
/// <param name="LastBatchMessages">Messages in the last batch.</param>
/// <param name="LastCommitMs">How long the last commit took.</param>
public sealed record CaptureStats(
    string Database,
    long MessagesSeen,
    long BytesSeen,
    long MessagesCaptured,
    long BytesCaptured,
    long MessagesDropped,
    long BytesDropped,
    long MessagesPending,
    long BytesPending,
    bool Behind,
    long StoredBytes,
    long PrunedBytes,
    long Batches,
    long LastBatchMessages,
    double LastCommitMs);
