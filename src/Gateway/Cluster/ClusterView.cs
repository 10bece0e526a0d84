using System.Text.Json;
using Gateway.Capture;
using Gateway.Configuration;
using Gateway.Security;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Cluster;

/// <summary>
/// The cluster as any one node sees it: the nodes, and the sessions each owns, reached through the owner's
/// <see cref="INodeGrain"/>. A call the owner does not answer within <c>Gateway:Cluster:CallTimeoutSeconds</c>
/// (or that has no owner left) fails with a 503 problem naming the node; it never hangs.
/// </summary>
internal sealed partial class ClusterView(ClusterNode node, IGrainFactory grains, IClusterMembershipService membership, NpgsqlDataSource database,
    SessionHistory history, IOptions<GatewayOptions> options, ClusterEvents events, ClusterHistory shared)
{
    /// <summary>Sessions of dead nodes, closed "node lost" here.</summary>
    private IEnumerable<SessionInfo> Lost => events.Lost;

    private readonly TimeSpan _timeout = TimeSpan.FromSeconds(options.Value.Cluster.CallTimeoutSeconds);
    private readonly string _clusterId = options.Value.Cluster.ClusterId;
    private volatile Dictionary<int, string> _names = [];

    public ClusterNode Node => node;

    /// <summary>Whether another node issued this session id.</summary>
    public bool IsRemote(long sessionId) => sessionId > 0 && ClusterNode.OwnerOf(sessionId) != node.Number;

    public async Task<int> SendAsync(long sessionId, string? data, string? encoding, string? target, Actor actor)
    {
        var owner = await OwnerOfAsync(sessionId);
        return (int)Check(await CallAsync(owner, g => g.Send(sessionId, data, encoding, target, Remote(actor)))).Value;
    }

    public async Task CloseAsync(long sessionId, bool abort, Actor actor)
    {
        var owner = await OwnerOfAsync(sessionId);
        Check(await CallAsync(owner, g => g.Close(sessionId, abort, Remote(actor))));
    }

    /// <summary>The session, closed "node lost", when its node died; null otherwise.</summary>
    public SessionInfo? LostSession(long sessionId) => Lost.LastOrDefault(s => s.Id == sessionId);

    public async Task<SessionInfo> GetSessionAsync(long sessionId)
    {
        if (LostSession(sessionId) is { } lost)
        {
            return lost;
        }

        var owner = await OwnerOfAsync(sessionId);
        NodeReply reply;
        try
        {
            reply = await CallAsync(owner, g => g.Session(sessionId));
        }
        catch (CommandException unavailable) when (unavailable.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            // Its node is gone: what it shipped says what the session was.
            if ((await shared.SessionsOfGoneNodesAsync(ActiveNodes().ToList(), sessionId, CancellationToken.None)).FirstOrDefault() is { } shipped)
            {
                return shipped;
            }

            throw;
        }

        return JsonSerializer.Deserialize<SessionInfo>(Check(reply).Json!, ClusterJson.Options)!;
    }

    public async Task AddListenerAsync(string nodeId, Api.CreateListenerRequest request, Actor actor) =>
        Check(await CallAsync(nodeId, g => g.AddListener(JsonSerializer.Serialize(request, ClusterJson.Options), Remote(actor))));

    public async Task RemoveListenerAsync(string nodeId, string id, Actor actor) =>
        Check(await CallAsync(nodeId, g => g.RemoveListener(id, Remote(actor))));

    public async Task ApplyListenerSettingsAsync(string nodeId, string listenerId, string settingsJson, long version) =>
        Check(await CallAsync(nodeId, g => g.ApplyListenerSettings(listenerId, settingsJson, version)));

    public Task<Listeners.ListenerInfo[]> ListenersAsync(string nodeId) => AskAsync<Listeners.ListenerInfo[]>(nodeId, g => g.Listeners());

    /// <summary>Marks another node's session or message, in that node's store (where its history is).</summary>
    public async Task<Capture.Annotations?> AnnotateAsync(long sessionId, long? seq, Capture.AnnotationsRequest request)
    {
        var owner = await OwnerOfAsync(sessionId);
        var json = JsonSerializer.Serialize(request, ClusterJson.Options);
        return await AskAsync<Capture.Annotations?>(owner, g => g.Annotate(sessionId, seq ?? 0, json));
    }

    /// <summary>Every active node's held messages, oldest first.</summary>
    public async Task<IReadOnlyList<Intercept.HeldInfo>> HeldAsync()
    {
        var lists = await Task.WhenAll(ActiveNodes().Select(id => AskAsync<List<Intercept.HeldInfo>>(id, g => g.Held(0))));
        return lists.SelectMany(l => l).OrderBy(h => h.At).ThenBy(h => h.Id).ToList();
    }

    /// <summary>One message another node holds, whole.</summary>
    public async Task<Intercept.HeldInfo> HeldAsync(long heldId)
    {
        var owner = await OwnerOfAsync(heldId);
        return await AskAsync<Intercept.HeldInfo>(owner, g => g.Held(heldId));
    }

    public async Task<Intercept.HeldReleasedInfo> DecideHeldAsync(long heldId, bool forward, string? data, string? encoding, Actor actor)
    {
        var owner = await OwnerOfAsync(heldId);
        return await AskAsync<Intercept.HeldReleasedInfo>(owner, g => g.DecideHeld(heldId, forward, data, encoding, Remote(actor)));
    }

    /// <summary>A broadcast to a listener's sessions on every active node: the totals of all.</summary>
    public async Task<BroadcastResult> BroadcastAsync(string listenerId, string? data, string? encoding, Actor actor)
    {
        var results = await Task.WhenAll(ActiveNodes().Select(id => AskAsync<BroadcastResult>(id, g => g.Broadcast(listenerId, data, encoding, Remote(actor)))));
        return new BroadcastResult(results.Sum(r => r.Sessions), results.Sum(r => r.Bytes));
    }

    public async Task<Api.DecoderRequest> DecoderAsync(long sessionId, bool set, string? decoder, string? decodeAs)
    {
        var owner = await OwnerOfAsync(sessionId);
        return await AskAsync<Api.DecoderRequest>(owner, g => g.Decoder(sessionId, set, decoder, decodeAs));
    }

    /// <summary>Replays another node's session on that node (its store holds the messages); the new outbound session is that node's.</summary>
    public async Task<SessionInfo> ReplayAsync(long sessionId, ReplayRequest request, Actor actor)
    {
        var owner = await OwnerOfAsync(sessionId);
        var json = JsonSerializer.Serialize(request, ClusterJson.Options);
        return await AskAsync<SessionInfo>(owner, g => g.Replay(sessionId, json, Remote(actor)));
    }

    /// <summary>A session's capture.json or pcapng, made by its node.</summary>
    public async Task<byte[]> ExportAsync(long sessionId, string format)
    {
        var owner = await OwnerOfAsync(sessionId);
        var export = await CallAsync(owner, g => g.Export(sessionId, format), _timeout * 4); // a whole export takes longer than a command
        Check(export.Reply);
        return export.Bytes!;
    }

    public async Task<List<MessageInfo>> FindMessagesAsync(long sessionId, string queryString)
    {
        var owner = await OwnerOfAsync(sessionId);
        return await AskAsync<List<MessageInfo>>(owner, g => g.FindMessages(queryString));
    }

    public async Task<List<MessageInfo>> SessionMessagesAsync(long sessionId, long? afterSeq, int? limit)
    {
        var owner = await OwnerOfAsync(sessionId);
        return await AskAsync<List<MessageInfo>>(owner, g => g.SessionMessages(sessionId, afterSeq, limit));
    }

    /// <summary>
    /// A page of every node's sessions: each active node answers the same query (this one from its own
    /// history), and the pages are merged under the query's order; the cursor is the merged page's last row,
    /// which every node can continue from. A node that does not answer fails the request (503), rather than
    /// leave a silent hole in the list.
    /// </summary>
    public async Task<(List<SessionInfo> Page, string? NextCursor)> QuerySessionsAsync(SessionQuery query, string queryString, CancellationToken cancellationToken)
    {
        var pages = await Task.WhenAll(ActiveNodes().Select(async id =>
        {
            if (id == node.Id)
            {
                var (page, next) = await history.QuerySessionsAsync(query, cancellationToken);
                return (Page: page, More: next is not null);
            }

            var reply = Check(await CallAsync(id, g => g.Query(queryString)));
            return (Page: JsonSerializer.Deserialize<List<SessionInfo>>(reply.Json!, ClusterJson.Options)!, More: reply.Value == 1);
        }));
        var sort = query.Sort;
        var all = pages.SelectMany(p => p.Page).ToList();
        if (query.Closed)
        {
            // Sessions of nodes that are gone: as this node saw them lost, else as their node last shipped them.
            var listed = all.Select(s => s.Id).ToHashSet();
            var lost = Lost.ToList();
            var lostIds = lost.Select(s => s.Id).ToHashSet();
            var gone = lost.Concat((await GoneNodesSessionsAsync(cancellationToken)).Where(s => !lostIds.Contains(s.Id)));
            all.AddRange(gone.Where(s => listed.Add(s.Id) && query.Matches(s) && query.IsAfterCursor(s)));
        }

        all.Sort((a, b) => sort.Compare(sort.KeyOf(a), a.Id, sort.KeyOf(b), b.Id));
        if (all.Count == 0 || (all.Count <= query.Limit && !pages.Any(p => p.More)))
        {
            return (all, null);
        }

        var merged = all.GetRange(0, Math.Min(query.Limit, all.Count));
        return (merged, new SessionCursor(sort.KeyOf(merged[^1]), merged[^1].Id).Encode(sort));
    }

    private static readonly TimeSpan GoneSessionsFor = TimeSpan.FromSeconds(5);
    private (DateTime At, string Active, List<SessionInfo> Sessions)? _gone;

    /// <summary>
    /// Sessions shipped by nodes that are gone, for lists: read again at most every few seconds (dashboards poll the
    /// list every second), and left out, rather than failing the list, while PostgreSQL is away.
    /// </summary>
    private async Task<List<SessionInfo>> GoneNodesSessionsAsync(CancellationToken cancellationToken)
    {
        var active = ActiveNodes().Order(StringComparer.Ordinal).ToList();
        var key = string.Join(',', active);
        if (_gone is { } cached && cached.Active == key && DateTime.UtcNow - cached.At < GoneSessionsFor)
        {
            return cached.Sessions;
        }

        try
        {
            var sessions = await shared.SessionsOfGoneNodesAsync(active, null, cancellationToken);
            _gone = (DateTime.UtcNow, key, sessions);
            return sessions;
        }
        catch (NpgsqlException)
        {
            return _gone?.Sessions ?? [];
        }
    }

    private async Task<string> OwnerOfAsync(long sessionId)
    {
        var number = ClusterNode.OwnerOf(sessionId);
        if (!_names.TryGetValue(number, out var name))
        {
            await RefreshNamesAsync();
            if (!_names.TryGetValue(number, out name))
            {
                throw CommandException.NotFound($"{sessionId} does not exist (no node of this cluster issues its number).");
            }
        }

        return name;
    }

    /// <summary>A node's answer, deserialized; its refusal thrown as the API's.</summary>
    private async Task<T> AskAsync<T>(string nodeId, Func<INodeGrain, Task<NodeReply>> call) =>
        JsonSerializer.Deserialize<T>(Check(await CallAsync(nodeId, call)).Json!, ClusterJson.Options)!;

    /// <summary>Calls a node's grain; a node that does not answer within the timeout, or is gone, is a 503 naming it.</summary>
    private async Task<T> CallAsync<T>(string nodeId, Func<INodeGrain, Task<T>> call, TimeSpan? timeout = null)
    {
        var within = timeout ?? _timeout;
        try
        {
            return await call(grains.GetGrain<INodeGrain>(nodeId)).WaitAsync(within);
        }
        catch (TimeoutException)
        {
            throw CommandException.Unavailable($"Node '{nodeId}', which owns it, did not answer within {within.TotalSeconds:0.#} s.");
        }
        catch (Exception ex) when (ex is not CommandException)
        {
            var why = ex.GetBaseException() switch
            {
                NodeUnavailableException => "it is no longer in the cluster",
                SiloUnavailableException => "its silo stopped answering",
                var other => other.Message.Split(". ")[0],
            };
            throw CommandException.Unavailable($"Node '{nodeId}', which owns it, is unavailable: {why}.");
        }
    }

    private static NodeReply Check(NodeReply reply) =>
        reply.Status == StatusCodes.Status200OK ? reply : throw new CommandException(reply.Status, reply.Title ?? "Refused", reply.Detail ?? "Refused by the node that owns it.");

    private RemoteActor Remote(Actor actor) => new($"{actor.Via} on node {node.Id}", actor.KeyName, actor.Role, actor.RemoteIp);
}
