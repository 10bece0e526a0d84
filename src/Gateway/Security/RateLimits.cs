using System.Globalization;
using System.Threading.RateLimiting;
using Gateway.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Security;

/// <summary>
/// One token bucket per API key (per remote address when the gateway is open), shared by every
/// state-changing REST call and every hub method that changes something: a key cannot go around its REST
/// limit through the hub. <c>Gateway:Limits:RequestsPerSecond</c> on average, <c>RequestBurst</c> at once.
/// </summary>
internal sealed class RateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _buckets;

    public RateLimits(IOptions<GatewayOptions> options)
    {
        var limits = options.Value.Limits;
        _buckets = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.RequestBurst,
            TokensPerPeriod = limits.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one call from the caller's bucket; false, with how long to wait, when it is empty.</summary>
    public bool TryAcquire(HttpContext context, out int retryAfterSeconds)
    {
        var name = context.User.Identity?.Name;
        var key = name is null or ApiKeyAuthenticationHandler.OpenName ? $"ip:{context.Connection.RemoteIpAddress}" : $"key:{name}";
        using var lease = _buckets.AttemptAcquire(key);
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        retryAfterSeconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        return lease.IsAcquired;
    }

    /// <summary>The REST side: an endpoint filter on every state-changing route (429 with Retry-After when refused).</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        if (context.RequestServices.GetRequiredService<RateLimits>().TryAcquire(context, out var seconds))
        {
            return await next(invocation);
        }

        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests",
            Detail = Refusal(seconds),
        });
    }

    public static string Refusal(int seconds) =>
        $"This key made too many state-changing calls, REST and hub together (Gateway:Limits:RequestsPerSecond, RequestBurst). Retry after {seconds} s.";

    public void Dispose() => _buckets.Dispose();
}
