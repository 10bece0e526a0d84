using Gateway.Configuration;
using Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

/// <summary>What every listener and session shares: options, the sequence, the registry, the event bus, the capture queue.</summary>
internal sealed class DataPlane(
    IOptions<GatewayOptions> options,
    TrafficEventBus bus,
    SessionRegistry sessions,
    TrafficTotals totals,
    Intercept.HeldMessages held,
    Capture.CaptureFeed capture,
    ILoggerFactory loggerFactory,
    TimeProvider time,
    Tls.LeafCertificates? leaves = null,
    Cluster.ClusterNode? node = null)
{
    private long _seq;
    private long _sessionId;

    public GatewayOptions Options { get; } = options.Value;

    /// <summary>The descriptors sessions may still take (admission checks it; closing gives them back).</summary>
    public DescriptorBudget Descriptors { get; } = DescriptorBudget.For(options.Value);

    public TrafficEventBus Bus { get; } = bus;

    public SessionRegistry Sessions { get; } = sessions;

    public TrafficTotals Totals { get; } = totals;

    /// <summary>Messages held by relay interception, waiting for forward or drop.</summary>
    public Intercept.HeldMessages Held { get; } = held;

    /// <summary>The capture store's queue; back-pressured sessions wait on it before reading.</summary>
    public Capture.CaptureFeed Capture { get; } = capture;

    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    /// <summary>The one logger every session writes to: made once, not per session (a logger keeps a cache of its own).</summary>
    public ILogger SessionLogger { get; } = loggerFactory.CreateLogger<Session>();

    /// <summary>Certificates minted per name by the gateway CA, for listeners with <c>tls: {ca: true}</c>.</summary>
    public Tls.LeafCertificates Leaves => leaves ?? throw new InvalidOperationException("No gateway CA in this data plane.");

    public TimeProvider Time { get; } = time;

    /// <summary>The newest message's seq (0 before the first). In a cluster, seqs are issued like session ids (node n: n, n + 64, …), so they are unique across it.</summary>
    public long LastSeq => Interlocked.Read(ref _seq) is var local and > 0 ? Node.IdOf(local) : 0;

    public long NextSeq() => Node.IdOf(Interlocked.Increment(ref _seq));

    /// <summary>Which node of a cluster this is (<see cref="Cluster.ClusterNode.Single"/> alone): session ids are issued in its share of the numbers.</summary>
    public Cluster.ClusterNode Node { get; } = node ?? Cluster.ClusterNode.Single;

    public long NextSessionId() => Node.IdOf(Interlocked.Increment(ref _sessionId));

    /// <summary>The last session id this node issued (0 before the first).</summary>
    public long LastSessionId => Interlocked.Read(ref _sessionId) is var local and > 0 ? Node.IdOf(local) : 0;

    /// <summary>Continues seq and session ids above those a previous run stored. Called once, before any listener starts.</summary>
    public void ContinueAfter(long seq, long sessionId)
    {
        Interlocked.Exchange(ref _seq, Math.Max(Node.LocalOf(seq), Interlocked.Read(ref _seq)));
        Interlocked.Exchange(ref _sessionId, Math.Max(Node.LocalOf(sessionId), Interlocked.Read(ref _sessionId)));
    }

    public DateTimeOffset Now => Time.GetUtcNow();
}
