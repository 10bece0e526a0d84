using Gateway.Cluster;
using Gateway.Faults;
using Gateway.Security;

namespace Gateway.Api;

internal static class FaultEndpoints
{
    public static RouteGroupBuilder MapFaultEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/listeners/{id}/faults").WithTags("Faults");

        group.MapGet("/", (string id, FaultCommands faults) => faults.List(id))
            .WithSummary("A relay listener's faults.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/", (string id, FaultRequest request, FaultCommands faults, HttpContext context) =>
            {
                var fault = faults.Add(id, request, Actors.Of(context));
                return TypedResults.Created($"/api/listeners/{Uri.EscapeDataString(id)}/faults/{fault.Id}", fault);
            })
            .WithSummary("Adds a fault: {type, direction, toxicity, ...the type's fields}, e.g. {\"type\":\"latency\",\"ms\":300}.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Admin)
            .SharedInCluster();

        group.MapDelete("/{faultId}", (string id, string faultId, FaultCommands faults, HttpContext context) =>
            {
                faults.Remove(id, faultId, Actors.Of(context));
                return TypedResults.NoContent();
            })
            .WithSummary("Removes a fault.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Admin)
            .SharedInCluster();
        return api;
    }
}
