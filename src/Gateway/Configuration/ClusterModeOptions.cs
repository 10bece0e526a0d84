namespace Gateway.Configuration;

/// <summary>
/// <c>Gateway:Cluster</c>: several gateways as one (Orleans membership on PostgreSQL, Redis as the SignalR
/// backplane). Off by default: a single gateway needs no other server. The servers are
/// <c>ConnectionStrings:Cluster</c> (PostgreSQL) and <c>ConnectionStrings:Redis</c>.
/// </summary>
public sealed class ClusterModeOptions
{
    public bool Enabled { get; set; }

    /// <summary>This node's short name, unique in the cluster (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>); default: the host name.</summary>
    public string? NodeId { get; set; }

    /// <summary>The IP this node binds its silo to and advertises to the others.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Orleans' silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>How long a call to the node that owns a session may take before it fails with a 503 naming that node.</summary>
    public double CallTimeoutSeconds { get; set; } = 5;

    /// <summary>The Orleans cluster id: nodes with the same one, on the same database, are one cluster.</summary>
    public string ClusterId { get; set; } = "socket-gateway";

    /// <summary>This node's live events waiting to go to the others through Redis; past it (Redis slow or away) they are dropped and counted.</summary>
    public int EventQueueCapacity { get; set; } = 16_384;

    /// <summary>The payload bytes those events may hold (message previews).</summary>
    public long EventQueueBytes { get; set; } = 32L * 1024 * 1024;
}
