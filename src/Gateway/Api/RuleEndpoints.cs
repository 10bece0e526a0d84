using Gateway.Cluster;
using Gateway.Pipeline;
using Gateway.Security;

namespace Gateway.Api;

internal static class RuleEndpoints
{
    public static RouteGroupBuilder MapRuleEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/listeners/{id}/rules").WithTags("Rules");

        group.MapGet("/", (string id, RuleCommands rules) => rules.List(id))
            .WithSummary("A listener's rules, in the order they are evaluated, with their hit counts.")
            .Produces<RuleInfo[]>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/", (string id, RuleSpec rule, RuleCommands rules, HttpContext context) =>
            {
                var added = rules.Add(id, rule, Actors.Of(context));
                return TypedResults.Created($"/api/listeners/{Uri.EscapeDataString(id)}/rules/{Uri.EscapeDataString(added.Id)}", added);
            })
            .WithSummary("Adds a rule at the end: {name, enabled, direction, match: {text, hex, regex, prefixHex}, action: {type: reply|replace|drop|hold|fault|close|tag, …}, continue}. "
                + "E.g. {\"match\":{\"regex\":\"^PING(.*)\\r\\n\"},\"action\":{\"type\":\"reply\",\"data\":\"PONG$1\\r\\n\"}}.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ChangesState(Roles.Operator)
            .SharedInCluster();

        group.MapPut("/", (string id, RuleSpec[] list, RuleCommands rules, HttpContext context) => rules.ReplaceAll(id, list, Actors.Of(context)))
            .WithSummary("Replaces the whole ordered list (reorder, edit, enable/disable); rules keep their hit counts when they keep their ids.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ChangesState(Roles.Operator)
            .SharedInCluster();

        group.MapDelete("/{ruleId}", (string id, string ruleId, RuleCommands rules, HttpContext context) =>
            {
                rules.Remove(id, ruleId, Actors.Of(context));
                return TypedResults.NoContent();
            })
            .WithSummary("Removes a rule.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator)
            .SharedInCluster();
        return api;
    }
}
