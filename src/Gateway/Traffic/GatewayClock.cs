namespace Gateway.Traffic;

/// <summary>When this gateway process started serving.</summary>
internal sealed class GatewayClock(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();
}
