using System.Text.Json;
using Gateway.Capture;
using Gateway.Capture.Export;
using Gateway.Sessions;
using Microsoft.Extensions.Options;

namespace Gateway.Api;

internal static class ExportEndpoints
{
    public static RouteGroupBuilder MapExportEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/sessions/{id:long}/capture.pcapng", async (long id, SessionHistory history, PcapngExporter exporter, HttpContext context, CancellationToken cancellationToken) =>
            {
                if (context.RequestServices.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id))
                {
                    return await RemoteExportAsync(context, cluster, id, "pcapng", PcapngExporter.ContentType,
                        (lost, messages, stream) => exporter.WriteSessionAsync(lost, messages, stream, cancellationToken), cancellationToken);
                }

                await history.GetSessionAsync(id, cancellationToken); // 404 before the download starts
                return Results.Stream(stream => exporter.WriteSessionAsync(id, stream, cancellationToken), PcapngExporter.ContentType, $"session-{id}.pcapng");
            })
            .WithTags("History")
            .WithSummary("The session as a pcapng file for Wireshark: a synthetic TCP (handshake, data, FIN) or UDP conversation carrying exactly the captured bytes.")
            .Produces(StatusCodes.Status200OK, contentType: PcapngExporter.ContentType)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/captures.pcapng", async (string? listenerId, DateTimeOffset? from, DateTimeOffset? to, PcapngExporter exporter, HttpContext context, CancellationToken cancellationToken) =>
            {
                if (from > to)
                {
                    throw CommandException.BadInput("'from' is after 'to'.");
                }

                var listener = string.IsNullOrWhiteSpace(listenerId) ? null : listenerId.Trim();
                var name = listener is null ? "captures.pcapng" : $"captures-{listener}.pcapng";
                if (context.RequestServices.GetService<Cluster.ClusterView>() is { } cluster)
                {
                    // Every node's, from the shared history (what the nodes have shipped: all but their last two seconds or so).
                    var shared = context.RequestServices.GetRequiredService<Cluster.ClusterHistory>();
                    var sessions = await shared.SessionsBetweenAsync(listener, from, to, cluster.LostSession, cancellationToken);
                    return Results.Stream(stream => exporter.WriteSessionsAsync(sessions, shared.StreamRangeAsync(listener, from, to, cancellationToken), stream, cancellationToken),
                        PcapngExporter.ContentType, name);
                }

                return Results.Stream(stream => exporter.WriteRangeAsync(listener, from, to, stream, cancellationToken), PcapngExporter.ContentType, name);
            })
            .WithTags("History")
            .WithSummary("Every captured session (of one listener, between from and to) in one pcapng file; in a cluster, every node's (the shared history).")
            .Produces(StatusCodes.Status200OK, contentType: PcapngExporter.ContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/sessions/{id:long}/capture.json", async (long id, SessionHistory history, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, HttpContext context, CancellationToken cancellationToken) =>
            {
                if (context.RequestServices.GetService<Cluster.ClusterView>() is { } cluster && cluster.IsRemote(id))
                {
                    return await RemoteExportAsync(context, cluster, id, "json", "application/json",
                        (lost, messages, stream) => WriteJsonAsync(lost, messages, json.Value.SerializerOptions, stream, cancellationToken), cancellationToken);
                }

                var session = await history.GetSessionAsync(id, cancellationToken);
                return Results.Stream(stream => WriteJsonAsync(session, history, json.Value.SerializerOptions, stream, cancellationToken),
                    "application/json", $"session-{id}.json");
            })
            .WithTags("History")
            .WithSummary("The session and all its captured messages (full payloads, base64) in one JSON document: {session, messages}.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>
    /// Another node's session's export (<c>session-{id}.{format}</c>): made by its node, or, once that node is
    /// lost, written here by <paramref name="writeShipped"/> from what it shipped to the shared history.
    /// </summary>
    private static async Task<IResult> RemoteExportAsync(HttpContext context, Cluster.ClusterView cluster, long id, string format, string contentType,
        Func<SessionInfo, IAsyncEnumerable<Traffic.MessageInfo>, Stream, Task> writeShipped, CancellationToken cancellationToken)
    {
        var fileName = $"session-{id}.{format}";
        try
        {
            return Results.File(await cluster.ExportAsync(id, format), contentType, fileName);
        }
        catch (CommandException unavailable) when (unavailable.StatusCode == StatusCodes.Status503ServiceUnavailable && cluster.LostSession(id) is { } lost)
        {
            var shared = context.RequestServices.GetRequiredService<Cluster.ClusterHistory>();
            return Results.Stream(stream => writeShipped(lost, shared.StreamSharedAsync(id, cancellationToken), stream), contentType, fileName);
        }
    }

    internal static Task WriteJsonAsync(SessionInfo session, SessionHistory history, JsonSerializerOptions options, Stream stream, CancellationToken cancellationToken) =>
        WriteJsonAsync(session, history.StreamAsync(new MessageQuery { SessionId = session.Id }, cancellationToken), options, stream, cancellationToken);

    /// <summary>capture.json: {session, messages}, the messages streamed from wherever they are kept.</summary>
    internal static async Task WriteJsonAsync(SessionInfo session, IAsyncEnumerable<Traffic.MessageInfo> messages, JsonSerializerOptions options, Stream stream, CancellationToken cancellationToken)
    {
        // Through a pipe: the serializer's own flushes only hand bytes to it, and only FlushAsync writes (Kestrel forbids synchronous writes).
        var pipe = System.IO.Pipelines.PipeWriter.Create(stream, new System.IO.Pipelines.StreamPipeWriterOptions(leaveOpen: true));
        await using var json = new Utf8JsonWriter(pipe);
        json.WriteStartObject();
        json.WritePropertyName("session");
        JsonSerializer.Serialize(json, session, options);
        json.WritePropertyName("messages");
        json.WriteStartArray();
        await foreach (var message in messages.WithCancellation(cancellationToken))
        {
            JsonSerializer.Serialize(json, message, options);
            if (pipe.UnflushedBytes > 64 * 1024)
            {
                await pipe.FlushAsync(cancellationToken);
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        await pipe.CompleteAsync();
    }
}
