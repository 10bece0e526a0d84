using Gateway.Capture;
using Gateway.Traffic;

namespace Gateway.Api;

/// <summary>Two sessions side by side: their messages aligned by order and direction, byte differences as ranges.</summary>
internal static class DiffEndpoints
{
    /// <summary>Messages of each session compared (their first ones): a diff is for looking at, not for bulk data.</summary>
    public const int MaxMessages = 10_000;

    /// <summary>Payload bytes read of each session (a message at least).</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    public static RouteGroupBuilder MapDiffEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/diff", async (long? a, long? b, SessionHistory history, CancellationToken cancellationToken) =>
            {
                if (a is null || b is null)
                {
                    throw Sessions.CommandException.BadInput("give the two sessions to compare: /api/diff?a=ID&b=ID.");
                }

                var left = await MessagesAsync(history, a.Value, cancellationToken);
                var right = await MessagesAsync(history, b.Value, cancellationToken);
                return new DiffResult(a.Value, b.Value, Align(left, right));
            })
            .WithTags("Sessions")
            .WithSummary("Compares two sessions: the k-th message of each direction in one is paired with the k-th of the same direction in the other, in the first "
                + "one's order (then what only the second has). Each pair says whether the bytes are equal and, when not, the ranges that differ "
                + "(offsets into the messages; a longer message's extra bytes are one range). At most the first 10,000 messages (64 MiB) of each.")
            .Produces<DiffResult>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/diff/messages", async (long? a, long? b, SessionHistory history, CancellationToken cancellationToken) =>
            {
                if (a is null || b is null)
                {
                    throw Sessions.CommandException.BadInput("give the two messages to compare by seq: /api/diff/messages?a=SEQ&b=SEQ.");
                }

                var left = await MessageAsync(history, a.Value, cancellationToken);
                var right = await MessageAsync(history, b.Value, cancellationToken);
                return new DiffResult(a.Value, b.Value, [Pair(left.Direction, left, right)]);
            })
            .WithTags("Sessions")
            .WithSummary("Compares two messages, of one session or of two, by seq: one pair (the first message's direction) with whether the bytes are equal "
                + "and the ranges that differ, as /api/diff gives for each pair of two sessions.")
            .Produces<DiffResult>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>The pairs, in <paramref name="left"/>'s order, then the unpaired messages of <paramref name="right"/> in theirs.</summary>
    internal static List<DiffPair> Align(IReadOnlyList<MessageInfo> left, IReadOnlyList<MessageInfo> right)
    {
        var rightByDirection = right.GroupBy(m => m.Direction).ToDictionary(g => g.Key, g => g.ToList());
        var used = new Dictionary<Direction, int>();
        var pairs = new List<DiffPair>();
        foreach (var message in left)
        {
            var k = used.GetValueOrDefault(message.Direction);
            used[message.Direction] = k + 1;
            var other = rightByDirection.TryGetValue(message.Direction, out var list) && k < list.Count ? list[k] : null;
            pairs.Add(Pair(message.Direction, message, other));
        }

        foreach (var (direction, list) in rightByDirection)
        {
            foreach (var message in list.Skip(used.GetValueOrDefault(direction)))
            {
                pairs.Add(Pair(direction, null, message));
            }
        }

        return pairs;
    }

    /// <summary>Where two byte strings differ: runs of differing bytes, and the longer one's tail.</summary>
    internal static List<ByteRange> Differences(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var ranges = new List<ByteRange>();
        var common = Math.Min(a.Length, b.Length);
        var i = 0;
        while (i < common)
        {
            var offset = a[i..common].CommonPrefixLength(b[i..common]) + i;
            if (offset >= common)
            {
                break;
            }

            var end = offset;
            while (end < common && a[end] != b[end])
            {
                end++;
            }

            ranges.Add(new ByteRange(offset, end - offset));
            i = end;
        }

        if (a.Length != b.Length)
        {
            ranges.Add(new ByteRange(common, Math.Max(a.Length, b.Length) - common));
        }

        return ranges;
    }

    private static DiffPair Pair(Direction direction, MessageInfo? a, MessageInfo? b)
    {
        if (a is null || b is null)
        {
            return new DiffPair(direction, a?.Seq, b?.Seq, false, []);
        }

        var ranges = Differences(a.Data.Span, b.Data.Span);
        return new DiffPair(direction, a.Seq, b.Seq, ranges.Count == 0 && a.Size == b.Size, ranges);
    }

    private static async Task<MessageInfo> MessageAsync(SessionHistory history, long seq, CancellationToken cancellationToken)
    {
        var found = await history.FindAsync(new MessageQuery { AfterSeq = seq - 1, Limit = 1 }, cancellationToken);
        return found is [{ } message] && message.Seq == seq ? message : throw Sessions.CommandException.NotFound($"No captured message {seq}.");
    }

    private static async Task<List<MessageInfo>> MessagesAsync(SessionHistory history, long sessionId, CancellationToken cancellationToken)
    {
        await history.GetSessionAsync(sessionId, cancellationToken); // 404 for a session that never was
        var messages = new List<MessageInfo>();
        long bytes = 0;
        await foreach (var message in history.StreamAsync(new MessageQuery { SessionId = sessionId, Limit = MaxMessages }, cancellationToken))
        {
            messages.Add(message);
            bytes += message.Data.Length;
            if (bytes >= MaxBytes)
            {
                break;
            }
        }

        return messages;
    }
}

/// <summary>Two sessions compared (<c>GET /api/diff</c>).</summary>
public sealed record DiffResult(long A, long B, IReadOnlyList<DiffPair> Pairs);

/// <summary>One message of each session at the same place (same direction, same position in it); null where one session has none.</summary>
/// <param name="Direction">Both messages' direction.</param>
/// <param name="A">The first session's message seq, or null.</param>
/// <param name="B">The second session's message seq, or null.</param>
/// <param name="Equal">Whether both exist and hold the same bytes.</param>
/// <param name="Ranges">Where their bytes differ (offsets into the messages).</param>
public sealed record DiffPair(Direction Direction, long? A, long? B, bool Equal, IReadOnlyList<ByteRange> Ranges);

/// <summary>A run of bytes: where it starts and how long it is.</summary>
public sealed record ByteRange(int Offset, int Length);
