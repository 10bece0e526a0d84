using System.Reflection;
using Gateway.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Hubs;

/// <summary>
/// Hub methods that change something (those that need an operator or more) draw from the same per-key
/// bucket as state-changing REST calls; a refusal is a hub error saying when to retry.
/// </summary>
internal sealed class HubRateLimitFilter(RateLimits limits) : IHubFilter
{
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (ChangesState(invocationContext.HubMethod) && invocationContext.Context.GetHttpContext() is { } http
            && !limits.TryAcquire(http, out var seconds))
        {
            throw new HubException(RateLimits.Refusal(seconds));
        }

        return next(invocationContext);
    }

    private static bool ChangesState(MethodInfo method) =>
        method.GetCustomAttributes<AuthorizeAttribute>().Any(a => a.Policy is Roles.Operator or Roles.Admin);
}
