namespace Gateway.Hubs;

/// <summary>The hub's <c>decoded</c> event: a watched message's summary, once its session's decoder has read it.</summary>
public sealed record DecodedSummary(long SessionId, long Seq, string Summary);
