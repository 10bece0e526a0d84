using Gateway.Configuration;
using Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

/// <summary>What every listener and session shares: options, the sequence, the registry, the event bus.</summary>
internal sealed class DataPlane(
    IOptions<GatewayOptions> options,
    TrafficEventBus bus,
    SessionRegistry sessions,
    TrafficTotals totals,
    Intercept.HeldMessages held,
    ILoggerFactory loggerFactory,
    TimeProvider time)
{
    private long _seq;
    private long _sessionId;

    public GatewayOptions Options { get; } = options.Value;

    public TrafficEventBus Bus { get; } = bus;

    public SessionRegistry Sessions { get; } = sessions;

    public TrafficTotals Totals { get; } = totals;

    /// <summary>Messages held by relay interception, waiting for forward or drop.</summary>
    public Intercept.HeldMessages Held { get; } = held;

    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    public TimeProvider Time { get; } = time;

    public long LastSeq => Interlocked.Read(ref _seq);

    public long NextSeq() => Interlocked.Increment(ref _seq);

    public long NextSessionId() => Interlocked.Increment(ref _sessionId);

    public DateTimeOffset Now => Time.GetUtcNow();
}
