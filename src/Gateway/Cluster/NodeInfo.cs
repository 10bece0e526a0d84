namespace Gateway.Cluster;

/// <summary>A node of the cluster (<c>GET /api/nodes</c>).</summary>
/// <param name="Id">Its <c>Gateway:Cluster:NodeId</c>.</param>
/// <param name="Address">The address it advertises.</param>
/// <param name="State">active, joining, shuttingdown, stopping, lost (its silo is dead or gone) or unreachable (active, but not answering).</param>
/// <param name="SessionsOpen">Its open sessions (0 when it does not answer).</param>
/// <param name="StartedAt">When it last started.</param>
/// <param name="LastSeen">Its last sign of life in the membership table.</param>
/// <param name="Number">Its number in the cluster: the session ids it issues are this number modulo 64.</param>
public sealed record NodeInfo(string Id, string Address, string State, int SessionsOpen, DateTimeOffset StartedAt, DateTimeOffset LastSeen, int Number);
