using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Api;

internal static class ListenerEndpoints
{
    public static RouteGroupBuilder MapListenerEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/listeners").WithTags("Listeners");

        group.MapGet("/", (ListenerManager listeners) => listeners.Listeners.Select(l => l.Snapshot()).ToArray())
            .WithSummary("Lists the raw listeners with their bound ports and counters.");

        group.MapGet("/{id}", (string id, SessionCommands commands) => commands.GetListener(id).Snapshot())
            .WithSummary("One listener.")
            .Produces<ListenerInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id}/broadcast", (string id, SendRequest request, SessionCommands commands, HttpContext context) =>
                TypedResults.Accepted((string?)null, commands.Broadcast(id, request.Data, request.Encoding, Actors.Of(context))))
            .WithSummary("Injects one payload into every open session of the listener.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        return api;
    }
}
