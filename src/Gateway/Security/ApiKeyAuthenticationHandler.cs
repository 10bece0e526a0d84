using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Security;

/// <summary>
/// Authenticates a request by its API key: <c>X-Api-Key: KEY</c>, <c>Authorization: Bearer KEY</c>, or
/// (for the hub, whose WebSocket cannot carry headers from a browser) the <c>access_token</c> query value.
/// With no keys configured every request is the anonymous admin. Refusals are problem+json.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeys keys, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string OpenName = "anonymous";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (keys.Open)
        {
            return Task.FromResult(Success(OpenName, Roles.Admin));
        }

        var presented = Presented(Request);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        return Task.FromResult(keys.Find(presented) is { } key
            ? Success(key.Name, key.Role)
            : AuthenticateResult.Fail("The API key is not valid."));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var failed = Context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Failure is not null || Presented(Request) is not null;
        await WriteAsync(StatusCodes.Status401Unauthorized, "Unauthorized", failed
            ? "The API key is not valid."
            : "An API key is required: send it as 'X-Api-Key: <key>' or 'Authorization: Bearer <key>' (the hub also takes ?access_token=<key>).");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var role = Context.User.FindFirstValue(ClaimTypes.Role);
        await WriteAsync(StatusCodes.Status403Forbidden, "Forbidden",
            $"The key '{Context.User.Identity?.Name}' has the role '{role}', which may not do this.");
    }

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers["X-Api-Key"] is [{ Length: > 0 } header])
        {
            return header;
        }

        if (request.Headers.Authorization is [{ } authorization] && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return request.Path.StartsWithSegments("/hubs") && request.Query["access_token"] is [{ Length: > 0 } token] ? token : null;
    }

    private AuthenticateResult Success(string name, string role)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private Task WriteAsync(int status, string title, string detail) => problems.TryWriteAsync(new ProblemDetailsContext
    {
        HttpContext = Context,
        ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
    }).AsTask();
}
