using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Gateway.Cluster;

/// <summary>
/// <c>/healthz</c> in a cluster: Degraded while Redis is away (the other nodes' live events pause; relaying,
/// capture and cross-node commands go on), Healthy otherwise.
/// </summary>
internal sealed class ClusterHealth(IConnectionMultiplexer redis) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(redis.IsConnected
            ? HealthCheckResult.Healthy("Redis connected")
            : HealthCheckResult.Degraded("Redis is not connected: other nodes' live events are paused (dashboards fill the gap from REST when it returns)"));
}
