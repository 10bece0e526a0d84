using Gateway.Connections;
using Gateway.Security;

namespace Gateway.Api;

internal static class ConnectionEndpoints
{
    public static RouteGroupBuilder MapConnectionEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/connections", async (ConnectRequest request, OutboundConnector connector, HttpContext context) =>
            {
                var session = await connector.ConnectAsync(request, Actors.Of(context), context.RequestAborted);
                return TypedResults.Created($"/api/sessions/{session.Id}", session.Snapshot());
            })
            .WithTags("Connections")
            .WithSummary("Connects out (tcp, udp or unix, optionally TLS) and returns the new session (kind: outbound).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .ChangesState(Roles.Admin);
        return api;
    }
}
