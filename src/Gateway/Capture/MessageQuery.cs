using Gateway.Traffic;

namespace Gateway.Capture;

/// <summary>A search over captured messages. Every filter is optional; <see cref="Patterns"/> must all occur in the payload.</summary>
internal sealed record MessageQuery
{
    public long? SessionId { get; init; }

    public string? ListenerId { get; init; }

    public Direction? Direction { get; init; }

    /// <summary>Byte strings the payload must contain (from <c>contains</c> as UTF-8, and from <c>hex</c>).</summary>
    public IReadOnlyList<byte[]> Patterns { get; init; } = [];

    /// <summary>Text the decoder's summary of the message contains (any case).</summary>
    public string? Summary { get; init; }

    /// <summary>A label a tag rule gave the message (whole, case-sensitive).</summary>
    public string? Tag { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public long? AfterSeq { get; init; }

    public long? BeforeSeq { get; init; }

    /// <summary>Newest first when true; otherwise in seq order.</summary>
    public bool Descending { get; init; }

    public int Limit { get; init; } = int.MaxValue;

    /// <summary>Payload bytes one page may carry; a page holds at least one message.</summary>
    public long MaxBytes { get; init; } = long.MaxValue;
}
