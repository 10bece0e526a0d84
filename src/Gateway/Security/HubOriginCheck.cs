using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Security;

/// <summary>
/// CORS does not cover WebSockets: a page on any origin may open one. So the hub's requests (negotiate
/// and the WebSocket handshake) that carry an <c>Origin</c> must come from this gateway's own origin or
/// one listed in <c>Gateway:Cors:Origins</c> (OWASP ASVS V4.4.2). Clients outside a browser send no Origin.
/// </summary>
internal sealed class HubOriginCheck(RequestDelegate next, IOptions<GatewayOptions> options)
{
    private readonly HashSet<string> _allowed = new(options.Value.Cors.Origins, StringComparer.OrdinalIgnoreCase);

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/hubs") || context.Request.Headers.Origin is not [{ Length: > 0 } origin]
            || _allowed.Contains(origin) || IsSameOrigin(context.Request, origin))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Results.Problem(
            $"Origin {origin} may not open the hub: it is neither this gateway nor listed in Gateway:Cors:Origins.",
            statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(context);
    }

    private static bool IsSameOrigin(HttpRequest request, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
