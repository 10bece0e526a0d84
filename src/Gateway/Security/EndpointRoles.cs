namespace Gateway.Security;

internal static class EndpointRoles
{
    /// <summary>A state-changing route: it needs <paramref name="role"/> (or more) and counts against the key's rate limit.</summary>
    public static RouteHandlerBuilder ChangesState(this RouteHandlerBuilder endpoint, string role) =>
        endpoint.RequireAuthorization(role).AddEndpointFilter(RateLimits.FilterAsync)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
}
