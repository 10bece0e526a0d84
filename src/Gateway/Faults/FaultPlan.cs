using System.Collections.Immutable;
using Gateway.Traffic;

namespace Gateway.Faults;

/// <summary>
/// What a relay does to one message: each fault of its direction applies with its toxicity, and the
/// names of those that did are recorded with the message (<c>faults: ["latency"]</c>).
/// </summary>
internal sealed class FaultPlan
{
    private FaultPlan()
    {
    }

    public static FaultPlan None { get; } = new();

    public List<string>? Names { get; private set; }

    public TimeSpan Delay { get; private set; }

    public FaultInfo? Bandwidth { get; private set; }

    public FaultInfo? Slicer { get; private set; }

    public FaultInfo? Timeout { get; private set; }

    public FaultInfo? Reset { get; private set; }

    public FaultInfo? Limit { get; private set; }

    /// <summary>UDP: how many copies to send (0 lost, 1, or 2 duplicated).</summary>
    public int Copies { get; private set; } = 1;

    public static FaultPlan For(ImmutableArray<FaultInfo> faults, Direction direction) => For(faults, null, direction);

    /// <summary>The listener's faults, and those of the rules that fired on this message (<paramref name="ruleFaults"/>).</summary>
    public static FaultPlan For(ImmutableArray<FaultInfo> faults, IReadOnlyList<FaultInfo>? ruleFaults, Direction direction)
    {
        if (faults.IsDefaultOrEmpty && ruleFaults is null or { Count: 0 })
        {
            return None;
        }

        var plan = new FaultPlan();
        foreach (var fault in ruleFaults is null ? faults : faults.Concat(ruleFaults))
        {
            if (!fault.AppliesTo(direction) || Random.Shared.NextDouble() >= fault.Toxicity)
            {
                continue;
            }

            switch (fault.Type)
            {
                case FaultType.Latency:
                    // In 64 bits: ms ± jitter must not overflow whatever the fields hold.
                    long jitter = fault.JitterMs ?? 0;
                    plan.Delay += TimeSpan.FromMilliseconds(Math.Max(0L, (fault.Ms ?? 0) + Random.Shared.NextInt64(-jitter, jitter + 1)));
                    break;
                case FaultType.Bandwidth:
                    plan.Bandwidth = fault;
                    break;
                case FaultType.Slicer:
                    plan.Slicer = fault;
                    break;
                case FaultType.Timeout:
                    plan.Timeout = fault;
                    break;
                case FaultType.ResetPeer:
                    plan.Reset = fault;
                    break;
                case FaultType.LimitData:
                    plan.Limit = fault;
                    break;
                case FaultType.Loss:
                    if (Random.Shared.NextDouble() * 100 >= fault.Percent)
                    {
                        continue; // this datagram got through
                    }

                    plan.Copies = 0;
                    break;
                case FaultType.Duplicate:
                    if (Random.Shared.NextDouble() * 100 >= fault.Percent)
                    {
                        continue;
                    }

                    if (plan.Copies > 0)
                    {
                        plan.Copies = 2; // a lost datagram stays lost
                    }

                    break;
            }

            (plan.Names ??= []).Add(fault.Name);
        }

        return plan.Names is null ? None : plan;
    }

    /// <summary>The latency faults' wait, before a message goes (stream and datagram relays alike).</summary>
    public Task WaitLatencyAsync(CancellationToken cancellationToken) =>
        Delay > TimeSpan.Zero ? Task.Delay(Delay, cancellationToken) : Task.CompletedTask;

    /// <summary>The bandwidth cap's pause after <paramref name="bytes"/> went (stream and datagram relays alike).</summary>
    public Task PaceAsync(int bytes, CancellationToken cancellationToken) =>
        BandwidthDelay(bytes) is var pause && pause > TimeSpan.Zero ? Task.Delay(pause, cancellationToken) : Task.CompletedTask;

    /// <summary>How long sending <paramref name="bytes"/> takes at the bandwidth cap.</summary>
    public TimeSpan BandwidthDelay(int bytes) =>
        Bandwidth is { Kbps: { } kbps } ? TimeSpan.FromSeconds(bytes * 8.0 / (kbps * 1000.0)) : TimeSpan.Zero;

    /// <summary>The payload cut by the slicer (or whole).</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Slices(byte[] payload)
    {
        if (Slicer is not { AverageSize: { } average } slicer)
        {
            yield return payload;
            yield break;
        }

        var variation = slicer.SizeVariation ?? 0;
        for (var offset = 0; offset < payload.Length;)
        {
            var size = (int)Math.Min(payload.Length - offset, Math.Max(1L, average + Random.Shared.NextInt64(-(long)variation, variation + 1L)));
            yield return payload.AsMemory(offset, size);
            offset += size;
        }
    }
}
