using System.Text.Json;
using Gateway.Capture;
using Gateway.Security;
using Gateway.Sessions;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Gateway.Cluster;

/// <summary>
/// One gateway node as the others reach it: its grain, keyed by the node's id, lives on that node only
/// (<see cref="NodePlacement"/>), so a call to it is a call to the node that owns a session. Replies carry
/// JSON in the API's own shape, and a refusal as the status and detail the API would give.
/// </summary>
public interface INodeGrain : IGrainWithStringKey
{
    /// <summary>This node's open sessions, for <c>GET /api/nodes</c>.</summary>
    Task<NodeReply> Describe();

    /// <summary>One session of this node's, live or stored (<c>GET /api/sessions/{id}</c>).</summary>
    Task<NodeReply> Session(long id);

    /// <summary>A page of this node's sessions for the query string of <c>GET /api/sessions</c>; <see cref="NodeReply.Value"/> 1 when it has more.</summary>
    Task<NodeReply> Query(string queryString);

    /// <summary>A search of this node's captured messages (the query string of <c>GET /api/messages</c>).</summary>
    Task<NodeReply> FindMessages(string queryString);

    /// <summary>One of this node's sessions' messages, full payloads (<c>GET /api/sessions/{id}/messages</c>).</summary>
    Task<NodeReply> SessionMessages(long id, long? afterSeq, int? limit);

    /// <summary>One of this node's sessions exported (<c>pcapng</c> or <c>json</c>), at most <see cref="NodeGrain.MaxExportBytes"/>.</summary>
    Task<NodeExport> Export(long id, string format);

    /// <summary>This node's listeners.</summary>
    Task<NodeReply> Listeners();

    /// <summary>Binds a cluster listener here (the create request's JSON).</summary>
    Task<NodeReply> AddListener(string requestJson, RemoteActor actor);

    /// <summary>Stops a cluster listener here.</summary>
    Task<NodeReply> RemoveListener(string id, RemoteActor actor);

    /// <summary>Applies a listener's shared settings (stored as <paramref name="version"/>) when newer than this node's.</summary>
    Task<NodeReply> ApplyListenerSettings(string listenerId, string settingsJson, long version);

    /// <summary>Sends to every open session of this node's listener (<see cref="NodeReply.Json"/>: {sessions, bytes}).</summary>
    Task<NodeReply> Broadcast(string listenerId, string? data, string? encoding, RemoteActor actor);

    /// <summary>Reads or sets the decoder of one of this node's sessions (decoder null with <paramref name="set"/>: its listener's).</summary>
    Task<NodeReply> Decoder(long id, bool set, string? decoder, string? decodeAs);

    /// <summary>Replays one of this node's sessions from its store (the request's JSON); answers the new outbound session.</summary>
    Task<NodeReply> Replay(long id, string requestJson, RemoteActor actor);

    /// <summary>The messages this node holds (previews), or one whole (<paramref name="id"/> above 0).</summary>
    Task<NodeReply> Held(long id);

    /// <summary>Forwards (optionally replaced) or drops a message this node holds.</summary>
    Task<NodeReply> DecideHeld(long id, bool forward, string? data, string? encoding, RemoteActor actor);

    /// <summary>Marks one of this node's sessions (<paramref name="seq"/> 0) or one of its messages (the request's JSON).</summary>
    Task<NodeReply> Annotate(long id, long seq, string requestJson);

    /// <summary>Injects into one of this node's sessions.</summary>
    Task<NodeReply> Send(long id, string? data, string? encoding, string? target, RemoteActor actor);

    /// <summary>Closes or resets one of this node's sessions.</summary>
    Task<NodeReply> Close(long id, bool abort, RemoteActor actor);
}

/// <summary>A node's answer: 200 with <see cref="Json"/> and <see cref="Value"/>, or the API's refusal.</summary>
[GenerateSerializer, Immutable]
public sealed record NodeReply([property: Id(0)] int Status, [property: Id(1)] string? Title, [property: Id(2)] string? Detail, [property: Id(3)] string? Json, [property: Id(4)] long Value)
{
    public static NodeReply Ok(string? json = null, long value = 0) => new(200, null, null, json, value);

    /// <summary>200 with <paramref name="value"/> as the API's JSON.</summary>
    public static NodeReply Of<T>(T value) => Ok(JsonSerializer.Serialize(value, ClusterJson.Options));
}

/// <summary>An export made by the session's node: the bytes, or the API's refusal.</summary>
[GenerateSerializer, Immutable]
public sealed record NodeExport([property: Id(0)] NodeReply Reply, [property: Id(1)] byte[]? Bytes);

/// <summary>Who asked, on which node: the owner audits the command under this name.</summary>
[GenerateSerializer, Immutable]
public sealed record RemoteActor([property: Id(0)] string Via, [property: Id(1)] string KeyName, [property: Id(2)] string Role, [property: Id(3)] string? RemoteIp);

/// <summary>Places a grain on the active node whose silo name is the grain's key, or nowhere.</summary>
[GenerateSerializer, Immutable]
public sealed class NodePlacement : PlacementStrategy
{
    public static readonly NodePlacement Instance = new();
}

/// <summary>Marks a grain as living on the node its key names.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NodePlacementAttribute() : PlacementAttribute(NodePlacement.Instance);

/// <summary>Finds the silo of the node a grain's key names: a node that is gone has none, and the call fails at once.</summary>
internal sealed class NodePlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var node = target.GrainIdentity.Key.ToString();
        var silo = membership.CurrentSnapshot.Members.Values
            .FirstOrDefault(m => m.Status == SiloStatus.Active && string.Equals(m.Name, node, StringComparison.Ordinal))?.SiloAddress;
        return silo is null ? throw new NodeUnavailableException(node!) : Task.FromResult(silo);
    }
}

/// <summary>The node a call was for has no active silo.</summary>
[GenerateSerializer]
public sealed class NodeUnavailableException : Exception
{
    public NodeUnavailableException(string node)
        : base($"Node '{node}' is not in the cluster.") => Node = node;

    [Id(0)]
    public string Node { get; init; } = "";
}

[NodePlacement]
[Reentrant]
internal sealed class NodeGrain(DataPlane plane, SessionHistory history, SessionCommands commands, Listeners.ListenerManager listeners, ClusterListeners clusterListeners,
    Capture.Export.PcapngExporter pcapng, Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    Decoding.DecoderChoices decoders, Capture.Replayer replayer, Intercept.InterceptCommands intercept)
    : Grain, INodeGrain
{
    public Task<NodeReply> Annotate(long id, long seq, string requestJson) => Answer(async () =>
    {
        var request = JsonSerializer.Deserialize<Capture.AnnotationsRequest>(requestJson, ClusterJson.Options)!;
        var saved = await history.AnnotateAsync(id, seq == 0 ? null : seq, request, CancellationToken.None);
        return NodeReply.Of(saved);
    });

    public Task<NodeReply> Held(long id) => Answer(() => Task.FromResult(id > 0 ? NodeReply.Of(plane.Held.Get(id)) : NodeReply.Of(plane.Held.List())));

    public Task<NodeReply> DecideHeld(long id, bool forward, string? data, string? encoding, RemoteActor actor) => Answer(() =>
        Task.FromResult(NodeReply.Of(forward ? intercept.Forward(id, data, encoding, ActorOf(actor)) : intercept.Drop(id, ActorOf(actor)))));

    public Task<NodeReply> Broadcast(string listenerId, string? data, string? encoding, RemoteActor actor) => Answer(() =>
        Task.FromResult(NodeReply.Of(commands.Broadcast(listenerId, data, encoding, ActorOf(actor)))));

    public Task<NodeReply> Decoder(long id, bool set, string? decoder, string? decodeAs) => Answer(async () =>
    {
        await history.GetSessionAsync(id, CancellationToken.None); // 404 for a session that never was
        if (set)
        {
            decoders.Set(id, decoder, decodeAs);
        }

        return NodeReply.Of(Api.DecoderRequest.Of(decoders.Of(id)));
    });

    public Task<NodeReply> Replay(long id, string requestJson, RemoteActor actor) => Answer(async () =>
    {
        var request = JsonSerializer.Deserialize<Capture.ReplayRequest>(requestJson, ClusterJson.Options)!;
        var session = await replayer.StartAsync(id, request, ActorOf(actor), CancellationToken.None);
        return NodeReply.Of(session.Snapshot());
    });

    /// <summary>An export another node asks for travels whole in one reply; past this, it is refused with the node to ask instead.</summary>
    public const int MaxExportBytes = 64 * 1024 * 1024;

    public async Task<NodeExport> Export(long id, string format)
    {
        try
        {
            var session = await history.GetSessionAsync(id, CancellationToken.None);
            using var buffer = new MemoryStream();
            if (format == "pcapng")
            {
                await pcapng.WriteSessionAsync(id, buffer, CancellationToken.None);
            }
            else
            {
                await Api.ExportEndpoints.WriteJsonAsync(session, history, json.Value.SerializerOptions, buffer, CancellationToken.None);
            }

            return buffer.Length > MaxExportBytes
                ? new NodeExport(new NodeReply(StatusCodes.Status413PayloadTooLarge, "Too large",
                    $"Session {id}'s export is {buffer.Length} bytes: download it from node '{plane.Node.Id}' itself ({plane.Node.Address}).", null, 0), null)
                : new NodeExport(NodeReply.Ok(), buffer.ToArray());
        }
        catch (CommandException refused)
        {
            return new NodeExport(new NodeReply(refused.StatusCode, refused.Title, refused.Message, null, 0), null);
        }
    }

    public Task<NodeReply> Listeners() =>
        Task.FromResult(NodeReply.Of(listeners.Listeners.Select(l => l.Snapshot()).ToArray()));

    public Task<NodeReply> AddListener(string requestJson, RemoteActor actor) => Answer(async () =>
    {
        var request = JsonSerializer.Deserialize<Api.CreateListenerRequest>(requestJson, ClusterJson.Options)!;
        return NodeReply.Of((await clusterListeners.AddHereAsync(request, ActorOf(actor))).Snapshot());
    });

    public Task<NodeReply> RemoveListener(string id, RemoteActor actor) => Answer(async () =>
        await clusterListeners.RemoveHereAsync(id, ActorOf(actor)) ? NodeReply.Ok() : throw CommandException.NotFound($"Listener '{id}' does not exist."));

    public Task<NodeReply> ApplyListenerSettings(string listenerId, string settingsJson, long version) => Answer(async () =>
    {
        await clusterListeners.ApplySettingsHereAsync(listenerId, settingsJson, version);
        return NodeReply.Ok();
    });

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        this.GetPrimaryKeyString() == plane.Node.Id
            ? Task.CompletedTask
            : throw new InvalidOperationException($"Node '{this.GetPrimaryKeyString()}''s grain was placed on node '{plane.Node.Id}'.");

    public Task<NodeReply> Describe() => Task.FromResult(NodeReply.Ok(value: plane.Sessions.OpenCount));

    public Task<NodeReply> Session(long id) => Answer(async () =>
        NodeReply.Of(await history.GetSessionAsync(id, CancellationToken.None)));

    public Task<NodeReply> Query(string queryString) => Answer(async () =>
    {
        var query = SessionQuery.FromQueryString(queryString);
        var (page, next) = await history.QuerySessionsAsync(query, CancellationToken.None);
        return NodeReply.Ok(JsonSerializer.Serialize(page, ClusterJson.Options), next is null ? 0 : 1); // 1: it has more after this page
    });

    public Task<NodeReply> FindMessages(string queryString) => Answer(async () =>
        NodeReply.Of(await history.FindAsync(Api.MessageEndpoints.QueryFrom(queryString), CancellationToken.None)));

    public Task<NodeReply> SessionMessages(long id, long? afterSeq, int? limit) => Answer(async () =>
        NodeReply.Of(await history.SessionMessagesAsync(id, afterSeq, limit, CancellationToken.None)));

    public Task<NodeReply> Send(long id, string? data, string? encoding, string? target, RemoteActor actor) => Answer(() =>
        Task.FromResult(NodeReply.Ok(value: commands.Send(id, data, encoding, ActorOf(actor), target))));

    public Task<NodeReply> Close(long id, bool abort, RemoteActor actor) => Answer(async () =>
    {
        await commands.CloseAsync(id, abort, ActorOf(actor));
        return NodeReply.Ok();
    });

    private static Actor ActorOf(RemoteActor actor) => new(actor.Via, actor.KeyName, actor.Role, actor.RemoteIp);

    /// <summary>A refusal travels as the status and detail the API gives for it.</summary>
    private static async Task<NodeReply> Answer(Func<Task<NodeReply>> work)
    {
        try
        {
            return await work();
        }
        catch (CommandException refused)
        {
            return new NodeReply(refused.StatusCode, refused.Title, refused.Message, null, 0);
        }
    }
}
