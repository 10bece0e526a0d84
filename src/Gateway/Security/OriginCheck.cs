using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Security;

/// <summary>
/// Browsers attach an <c>Origin</c> (and <c>Sec-Fetch-Site</c>) to cross-site requests, and a plain HTML form
/// may POST anywhere without CORS's consent; CORS does not cover WebSockets either. So every state-changing
/// request (POST, PUT, PATCH, DELETE) and every request to the hub (negotiate and the WebSocket handshake)
/// that comes from a browser page must come from this gateway's own origin or one listed in
/// <c>Gateway:Cors:Origins</c> (OWASP ASVS V4.4.2, V50.3). A request with more than one <c>Origin</c> is
/// refused outright. Clients outside a browser (curl, scripts, the SignalR .NET client) send neither header.
/// </summary>
internal sealed class OriginCheck(RequestDelegate next, IOptions<GatewayOptions> options)
{
    private readonly HashSet<string> _allowed = new(options.Value.Cors.Origins, StringComparer.OrdinalIgnoreCase);

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/hubs") && !ChangesState(request.Method))
        {
            return next(context);
        }

        var origins = request.Headers.Origin;
        if (origins.Count > 1)
        {
            return RefuseAsync(context, "A request may carry one Origin header, not several.");
        }

        if (origins is [{ Length: > 0 } origin])
        {
            return _allowed.Contains(origin) || IsSameOrigin(request, origin)
                ? next(context)
                : RefuseAsync(context, $"Origin {origin} may not {What(request)}: it is neither this gateway nor listed in Gateway:Cors:Origins.");
        }

        // No Origin: a fetch metadata header still tells a cross-site browser request apart.
        return string.Equals(request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase)
            ? RefuseAsync(context, $"A cross-site page may not {What(request)} (Sec-Fetch-Site: cross-site, no allowed Origin).")
            : next(context);
    }

    private static bool ChangesState(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    private static string What(HttpRequest request) =>
        request.Path.StartsWithSegments("/hubs") ? "open the hub" : $"{request.Method} {request.Path}";

    private static Task RefuseAsync(HttpContext context, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(context);
    }

    private static bool IsSameOrigin(HttpRequest request, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
