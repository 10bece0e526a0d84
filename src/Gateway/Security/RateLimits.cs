using System.Globalization;
using System.Threading.RateLimiting;
using Gateway.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.Security;

/// <summary>A token bucket per API key (per remote address when the gateway is open) for state-changing REST calls.</summary>
internal static class RateLimits
{
    public const string StateChanging = "state-changing";

    public static RateLimitPartition<string> Partition(HttpContext context)
    {
        var limits = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.Limits;
        var name = context.User.Identity?.Name;
        var key = name is null or ApiKeyAuthenticationHandler.OpenName ? $"ip:{context.Connection.RemoteIpAddress}" : $"key:{name}";
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.RequestBurst,
            TokensPerPeriod = limits.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    public static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This key made too many state-changing calls (Gateway:Limits:RequestsPerSecond, RequestBurst). Retry after {seconds} s.",
            },
        });
    }
}
