using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Api;

internal static class SessionEndpoints
{
    private const int MaxPage = 1000;

    public static RouteGroupBuilder MapSessionEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/sessions").WithTags("Sessions");

        group.MapGet("/", (string? listenerId, string? state, SessionRegistry sessions) =>
                sessions.List(listenerId, ParseState(state)).Select(s => s.Snapshot()).ToArray())
            .WithSummary("Lists sessions; state is open (default), closed or all.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/{id:long}", (long id, SessionCommands commands) => commands.GetSession(id).Snapshot())
            .WithSummary("One session with its counters.")
            .Produces<SessionInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id:long}/send", (long id, SendRequest request, SessionCommands commands, HttpContext context) =>
                TypedResults.Accepted((string?)null, new SendResult(commands.Send(id, request.Data, request.Encoding, Actors.Of(context), request.Target))))
            .WithSummary("Injects a payload (utf8, hex or base64) into the session; for UDP, one datagram.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapDelete("/{id:long}", async (long id, bool? abort, SessionCommands commands, HttpContext context) =>
            {
                await commands.CloseAsync(id, abort ?? false, Actors.Of(context));
                return TypedResults.NoContent();
            })
            .WithSummary("Closes the session: FIN after anything already queued, or RST with abort=true.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/{id:long}/messages", (long id, long? afterSeq, int? limit, SessionCommands commands) =>
            {
                var page = limit ?? MaxPage;
                if (page is < 1 or > MaxPage)
                {
                    throw CommandException.BadInput($"'limit' must be between 1 and {MaxPage} (was {page}).");
                }

                return commands.GetSession(id).ReadMessages(afterSeq ?? 0, page).Select(m => MessageInfo.From(m)).ToArray();
            })
            .WithSummary("The session's recent messages with full payloads, in seq order, after afterSeq.")
            .Produces<MessageInfo[]>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    private static SessionFilter ParseState(string? state) => state?.Trim().ToLowerInvariant() switch
    {
        null or "" or "open" => SessionFilter.Open,
        "closed" => SessionFilter.Closed,
        "all" => SessionFilter.All,
        _ => throw CommandException.BadInput($"Unknown state '{state}': use open, closed or all."),
    };
}
