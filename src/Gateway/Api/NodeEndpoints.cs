using Gateway.Cluster;
using Gateway.Sessions;

namespace Gateway.Api;

/// <summary>The nodes of a cluster (<c>Gateway:Cluster:Enabled</c>); a gateway on its own is a cluster of one.</summary>
internal static class NodeEndpoints
{
    public static RouteGroupBuilder MapNodeEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/nodes", async (IServiceProvider services, DataPlane plane, CancellationToken cancellationToken) =>
                services.GetService<ClusterView>() is { } cluster
                    ? await cluster.NodesAsync(cancellationToken)
                    : [new NodeInfo("local", plane.Node.Address, "active", plane.Sessions.OpenCount, Started, DateTimeOffset.UtcNow, 0)])
            .WithTags("Cluster")
            .WithSummary("The cluster's nodes: [{id, address, state, sessionsOpen, startedAt, lastSeen, number}] in id order; state is active, joining, shuttingdown, "
                + "stopping, lost (its silo is dead or gone) or unreachable. A gateway on its own lists itself as 'local'.")
            .Produces<NodeInfo[]>();
        return api;
    }

    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow;
}
