using Gateway.Capture;
using Gateway.Security;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Api;

internal static class SessionEndpoints
{
    /// <summary>Another node's session's messages: from that node while it lives, from the shared history once it is gone.</summary>
    private static async Task<List<MessageInfo>> RemoteMessagesAsync(Cluster.ClusterView cluster, Cluster.ClusterHistory shared, long id, long? afterSeq, int? limit, CancellationToken cancellationToken)
    {
        try
        {
            return await cluster.SessionMessagesAsync(id, afterSeq, limit);
        }
        catch (CommandException unavailable) when (unavailable.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            return await shared.FindSharedAsync(new MessageQuery { SessionId = id, AfterSeq = afterSeq, Descending = false, Limit = limit ?? SessionHistory.MaxPage }, cancellationToken);
        }
    }

    public static RouteGroupBuilder MapSessionEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/sessions").WithTags("Sessions");

        group.MapGet("/", async (string? listenerId, string? state, long? afterId, int? limit, string? q, string? kind, string? tag, string? sort, string? cursor,
                SessionHistory history, HttpContext context, CancellationToken cancellationToken) =>
            {
                var cluster = context.RequestServices.GetService<Cluster.ClusterView>();
                if (q is null && kind is null && tag is null && sort is null && cursor is null)
                {
                    if (cluster is null)
                    {
                        return Results.Ok(await history.ListSessionsAsync(listenerId, state, afterId, limit, cancellationToken));
                    }

                    // A cluster lists every node's, newest first from each, then in id order as ever (afterId: page with the cursor instead).
                    if (afterId is not null)
                    {
                        throw CommandException.BadInput("In a cluster, page with sort and the X-Next-Cursor header rather than afterId (ids are not issued in one order).");
                    }

                    var all = SessionQuery.Parse(listenerId, state ?? "open", limit ?? 1000, null, null, null, "-id", null);
                    var across = $"?state={Uri.EscapeDataString(state ?? "open")}&limit={all.Limit}&sort=-id" + (listenerId is null ? "" : $"&listenerId={Uri.EscapeDataString(listenerId)}");
                    var (newest, _) = await cluster.QuerySessionsAsync(all, across, cancellationToken);
                    newest.Reverse();
                    return Results.Ok(newest);
                }

                if (afterId is not null)
                {
                    throw CommandException.BadInput("afterId pages in id order; with q, kind, sort or cursor, page with the X-Next-Cursor of the previous page.");
                }

                var query = SessionQuery.Parse(listenerId, state, limit, q, kind, tag, sort, cursor);
                var (page, next) = cluster is null
                    ? await history.QuerySessionsAsync(query, cancellationToken)
                    : await cluster.QuerySessionsAsync(query, context.Request.QueryString.Value ?? "", cancellationToken);
                if (next is not null)
                {
                    context.Response.Headers["X-Next-Cursor"] = next;
                }

                return Results.Ok(page);
            })
            .WithSummary("Lists sessions. Without q, kind, sort or cursor: in id order; state is open (default), closed or all; at most limit (default 1000): "
                + "the newest, or the first after afterId. With any of them: a page (limit, default 100) filtered on the server (q: text in the addresses, "
                + "listener or close reason; kind: accepted, outbound or relay; state default all) and sorted (sort=bytesIn, -openedAt, …; default -id), "
                + "tag: a tag given in its annotations; the next page's cursor in the X-Next-Cursor header (absent on the last page).")
            .Produces<SessionInfo[]>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapPut("/{id:long}/annotations", (long id, AnnotationsRequest request, SessionHistory history, IServiceProvider services, CancellationToken cancellationToken) =>
                services.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id)
                    ? cluster.AnnotateAsync(id, null, request)
                    : history.AnnotateAsync(id, null, request, cancellationToken))
            .WithSummary("Marks a session: {starred, tags: [...], note}, all replaced (an empty one removes them); returned as annotations on the session, "
                + "kept in the capture store, searchable with ?tag=, in capture.json and as pcapng comments.")
            .Produces<Annotations>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator);

        group.MapPut("/{id:long}/messages/{seq:long}/annotations", (long id, long seq, AnnotationsRequest request, SessionHistory history, IServiceProvider services, CancellationToken cancellationToken) =>
                services.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id)
                    ? cluster.AnnotateAsync(id, seq, request)
                    : history.AnnotateAsync(id, seq, request, cancellationToken))
            .WithSummary("Marks one captured message: {starred, tags: [...], note}, as for a session; returned as annotations on the message, searchable with /api/messages?tag=.")
            .Produces<Annotations>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ChangesState(Roles.Operator);

        group.MapGet("/{id:long}", (long id, SessionHistory history, IServiceProvider services, CancellationToken cancellationToken) =>
                services.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id) ? cluster.GetSessionAsync(id) : history.GetSessionAsync(id, cancellationToken))
            .WithSummary("One session with its counters, open or from history.")
            .Produces<SessionInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id:long}/send", async (long id, SendRequest request, SessionCommands commands, HttpContext context) =>
                TypedResults.Accepted((string?)null, new SendResult(await commands.SendAsync(id, request.Data, request.Encoding, Actors.Of(context), request.Target))))
            .WithSummary("Injects a payload (utf8, hex or base64) into the session; for UDP, one datagram.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ChangesState(Roles.Operator);

        group.MapDelete("/{id:long}", async (long id, bool? abort, SessionCommands commands, HttpContext context) =>
            {
                await commands.CloseAsync(id, abort ?? false, Actors.Of(context));
                return TypedResults.NoContent();
            })
            .WithSummary("Closes the session: FIN after anything already queued, or RST with abort=true.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ChangesState(Roles.Operator);

        group.MapGet("/{id:long}/messages", (long id, long? afterSeq, int? limit, SessionHistory history, IServiceProvider services, CancellationToken cancellationToken) =>
                services.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id)
                    ? RemoteMessagesAsync(cluster, services.GetRequiredService<Cluster.ClusterHistory>(), id, afterSeq, limit, cancellationToken)
                    : history.SessionMessagesAsync(id, afterSeq, limit, cancellationToken))
            .WithSummary("The session's captured messages with full payloads, in seq order after afterSeq: at most limit (default and max 1000) "
                + "and about Gateway:Capture:PageBytes of payload per page. Page on with the last seq.")
            .Produces<MessageInfo[]>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id:long}/replay", async (long id, ReplayRequest request, Replayer replayer, HttpContext context) =>
            {
                if (context.RequestServices.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id))
                {
                    var replayed = await cluster.ReplayAsync(id, request, Actors.Of(context));
                    return TypedResults.Created($"/api/sessions/{replayed.Id}", replayed);
                }

                var session = await replayer.StartAsync(id, request, Actors.Of(context), context.RequestAborted);
                return TypedResults.Created($"/api/sessions/{session.Id}", session.Snapshot());
            })
            .WithSummary("Replays the recorded messages of one direction to a target over a new outbound session (returned, 201), "
                + "with the original gaps scaled by speed, or asap. A replay is an outbound connection: it needs what POST /api/connections needs "
                + "(an admin key, a target allowed by Gateway:Outbound:AllowedTargets).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .ChangesState(Roles.Admin);

        return api;
    }
}
