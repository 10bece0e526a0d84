using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>
/// A session's recent messages, bounded by count and by payload bytes (the oldest go first; the newest
/// message is always kept). Not thread-safe: the owning session serialises access.
/// </summary>
internal sealed class MessageLog(int maxMessages, long maxBytes)
{
    private readonly Queue<TrafficMessage> _messages = new();
    private long _bytes;

    public int Count => _messages.Count;

    public long Bytes => _bytes;

    public void Add(TrafficMessage message)
    {
        _messages.Enqueue(message);
        _bytes += message.Size;
        while (_messages.Count > 1 && (_messages.Count > maxMessages || _bytes > maxBytes))
        {
            _bytes -= _messages.Dequeue().Size;
        }
    }

    /// <summary>Messages with <c>seq</c> above <paramref name="afterSeq"/>, in seq order, at most <paramref name="limit"/>.</summary>
    public List<TrafficMessage> Read(long afterSeq, int limit)
    {
        var result = new List<TrafficMessage>(Math.Min(limit, _messages.Count));
        foreach (var message in _messages)
        {
            if (result.Count == limit)
            {
                break;
            }

            if (message.Seq > afterSeq)
            {
                result.Add(message);
            }
        }

        return result;
    }
}
