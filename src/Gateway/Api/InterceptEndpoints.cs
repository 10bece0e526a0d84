using Gateway.Cluster;
using Gateway.Intercept;
using Gateway.Security;

namespace Gateway.Api;

internal static class InterceptEndpoints
{
    public static RouteGroupBuilder MapInterceptEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/listeners/{id}/intercept", (string id, InterceptCommands commands) => commands.Get(id))
            .WithTags("Intercept")
            .WithSummary("A relay listener's interception rule.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("/listeners/{id}/intercept", (string id, InterceptRequest request, InterceptCommands commands, HttpContext context) =>
                commands.Set(id, request, Actors.Of(context)))
            .WithTags("Intercept")
            .WithSummary("Turns interception on ({enabled: true, direction, match | matchHex}) or off (held messages are released).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Admin)
            .SharedInCluster();

        api.MapGet("/held", async (HeldMessages held, IServiceProvider services) =>
                services.GetService<Cluster.ClusterView>() is { } cluster ? await cluster.HeldAsync() : held.List())
            .WithTags("Intercept")
            .WithSummary("Messages held by interception, oldest first: each with its size and a preview of its payload "
                + "(Gateway:Intercept:PreviewBytes; truncated: true when cut). GET /api/held/{id} gives one whole.");

        api.MapGet("/held/{id:long}", async (long id, HeldMessages held, IServiceProvider services) =>
                services.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id) ? await cluster.HeldAsync(id) : held.Get(id))
            .WithTags("Intercept")
            .WithSummary("One held message with its whole payload.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/held/{id:long}/forward", (long id, ForwardRequest? request, InterceptCommands commands, HttpContext context) =>
                commands.ForwardAsync(id, request?.Data, request?.Encoding, Actors.Of(context)))
            .WithTags("Intercept")
            .WithSummary("Forwards a held message, optionally replaced by {data, encoding}.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator);

        api.MapPost("/held/{id:long}/drop", (long id, InterceptCommands commands, HttpContext context) => commands.DropAsync(id, Actors.Of(context)))
            .WithTags("Intercept")
            .WithSummary("Drops a held message: it is never forwarded.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator);
        return api;
    }
}

/// <summary>An optional replacement for a held message.</summary>
/// <param name="Data">The replacement, written in <paramref name="Encoding"/>; absent = forward as held.</param>
/// <param name="Encoding"><c>utf8</c> (default), <c>hex</c> or <c>base64</c>.</param>
public sealed record ForwardRequest(string? Data, string? Encoding);
