namespace Gateway.Cluster;

/// <summary>Marks the endpoints that change a listener's settings; in a cluster, a change that succeeded is shared with the other nodes before the answer.</summary>
internal static class SharedSettings
{
    /// <summary>After the handler succeeds, shares the settings of the listener named by the route's <c>id</c> (nothing on a single node).</summary>
    public static RouteHandlerBuilder SharedInCluster(this RouteHandlerBuilder endpoint) =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            if (context.HttpContext.RequestServices.GetService<ClusterListeners>() is { } cluster && context.HttpContext.GetRouteValue("id") is string id)
            {
                await cluster.ShareSettingsAsync(id);
            }

            return result;
        });
}
