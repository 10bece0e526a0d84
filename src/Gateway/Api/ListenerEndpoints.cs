using Gateway.Listeners;
using Gateway.Security;
using Gateway.Sessions;

namespace Gateway.Api;

internal static class ListenerEndpoints
{
    public static RouteGroupBuilder MapListenerEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/listeners").WithTags("Listeners");

        group.MapGet("/", async (ListenerManager listeners, IServiceProvider services, CancellationToken cancellationToken) =>
                services.GetService<Cluster.ClusterListeners>() is { } cluster
                    ? await cluster.WithNodesAsync(cancellationToken)
                    : listeners.Listeners.Select(l => l.Snapshot()).ToArray())
            .WithSummary("Lists the raw listeners with their bound ports and counters; in a cluster, each with every node's socket for it (nodes).");

        group.MapGet("/{id}", (string id, SessionCommands commands) => commands.GetListener(id).Snapshot())
            .WithSummary("One listener.")
            .Produces<ListenerInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/", async (CreateListenerRequest request, ListenerManager listeners, HttpContext context) =>
            {
                var listener = context.RequestServices.GetService<Cluster.ClusterListeners>() is { } cluster
                    ? await cluster.CreateAsync(request, Actors.Of(context))
                    : (await listeners.AddAsync(request.ToOptions(), Actors.Of(context))).Snapshot();
                return TypedResults.Created($"/api/listeners/{Uri.EscapeDataString(listener.Id)}", listener);
            })
            .WithSummary("Opens a listener at runtime (tcp, udp or unix; optional framing and TLS). In a cluster, every node binds it (without an address, each on its own cluster address).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ChangesState(Roles.Admin);

        group.MapDelete("/{id}", async (string id, ListenerManager listeners, HttpContext context) =>
            {
                if (context.RequestServices.GetService<Cluster.ClusterListeners>() is { } cluster)
                {
                    await cluster.RemoveAsync(id, Actors.Of(context));
                    return TypedResults.NoContent();
                }

                await listeners.RemoveAsync(id, Actors.Of(context));
                return TypedResults.NoContent();
            })
            .WithSummary("Stops a listener (configured ones too) and closes its sessions (reason \"listener stopped\").")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Admin);

        group.MapPost("/{id}/sendto", async (string id, SendToRequest request, SessionCommands commands, HttpContext context) =>
                TypedResults.Accepted((string?)null, await commands.SendToAsync(
                    id, request.Host, request.Port, request.Data, request.Encoding, Actors.Of(context))))
            .WithSummary("Sends one datagram from a UDP listener's socket to any address (the socket API's sendto).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ChangesState(Roles.Operator);

        group.MapPost("/{id}/broadcast", async (string id, SendRequest request, SessionCommands commands, HttpContext context) =>
                TypedResults.Accepted((string?)null, await commands.BroadcastAsync(id, request.Data, request.Encoding, Actors.Of(context))))
            .WithSummary("Injects one payload into every open session of the listener.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ChangesState(Roles.Operator);

        return api;
    }
}
