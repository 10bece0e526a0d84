using System.Diagnostics.Metrics;
using Gateway.Listeners;
using Gateway.Security;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>
/// The control plane's commands on the data plane: inject, sendto, broadcast, close. REST endpoints and
/// hub methods only translate to and from these; every refusal is a <see cref="CommandException"/>.
/// </summary>
internal sealed class SessionCommands(DataPlane plane, ListenerManager listeners, Connections.OutboundGuard guard, AuditLog audit, IMeterFactory meters,
    IServiceProvider services)
{
    /// <summary>In a cluster, the way to sessions other nodes own (resolved when first needed, so that building these commands does not build Orleans' client early).</summary>
    private Cluster.ClusterView? Cluster => plane.Node.InCluster ? services.GetService<Cluster.ClusterView>() : null;

    /// <summary><see cref="Broadcast"/>; in a cluster, to the listener's sessions on every node.</summary>
    public async Task<BroadcastResult> BroadcastAsync(string listenerId, string? data, string? encoding, Actor actor) =>
        Cluster is { } cluster
            ? await cluster.BroadcastAsync(listenerId, data, encoding, actor).ConfigureAwait(false)
            : Broadcast(listenerId, data, encoding, actor);

    /// <summary><see cref="Send"/>, for a session of any node of the cluster: another node's goes to that node.</summary>
    public async Task<int> SendAsync(long sessionId, string? data, string? encoding, Actor actor, string? target = null) =>
        Cluster is { } cluster && cluster.IsRemote(sessionId)
            ? await cluster.SendAsync(sessionId, data, encoding, target, actor).ConfigureAwait(false)
            : Send(sessionId, data, encoding, actor, target);

    private readonly Counter<long> _injected = meters.Create(Metrics.GatewayMetrics.MeterName)
        .CreateCounter<long>("gateway.injected", unit: "By", description: "Payload bytes injected (send, sendto, broadcast) through the API or the hub.");

    /// <summary>The open session; 409 for one that existed and is closed (in this run or before a restart), 404 otherwise.</summary>
    public Session GetOpenSession(long sessionId, string? closedMessage = null) =>
        plane.Sessions.FindOpen(sessionId)
        ?? throw (Existed(sessionId)
            ? CommandException.Conflict(closedMessage ?? $"Session {sessionId} is closed.")
            : CommandException.NotFound($"Session {sessionId} does not exist."));

    /// <summary>Session ids are issued in order and continue across restarts, so every id up to the last one existed (another node's ids: asked of that node).</summary>
    public bool Existed(long sessionId) => sessionId >= 1 && (sessionId <= plane.LastSessionId || (plane.Node.InCluster && Gateway.Cluster.ClusterNode.OwnerOf(sessionId) != plane.Node.Number));

    public GatewayListener GetListener(string listenerId) =>
        listeners.Find(listenerId) ?? throw CommandException.NotFound($"Listener '{listenerId}' does not exist.");

    /// <summary>Queues <paramref name="data"/> for the session's peer (or a relay's upstream); returns the payload size.</summary>
    public int Send(long sessionId, string? data, string? encoding, Actor actor, string? target = null)
    {
        var session = GetOpenSession(sessionId);
        var side = target?.Trim().ToLowerInvariant() switch
        {
            null or "" or "client" => SendTarget.Client,
            "upstream" => SendTarget.Upstream,
            _ => throw CommandException.BadInput($"Unknown target '{target}': use client or upstream."),
        };
        if (!session.CanSendTo(side))
        {
            throw CommandException.BadInput($"Session {sessionId} is not a relay session: it has no upstream to send to.");
        }

        return Enqueue(session, Decode(data, encoding, session.Protocol), actor, "send", side);
    }

    /// <summary>
    /// The tutorial's <c>sendto</c>: one datagram from a UDP listener's socket to any address. It goes
    /// through (and, if new, opens) the session of that remote endpoint, so replies land beside it.
    /// </summary>
    public async Task<SendToResult> SendToAsync(string listenerId, string? host, int? port, string? data, string? encoding, Actor actor)
    {
        if (GetListener(listenerId) is not UdpGatewayListener listener)
        {
            throw CommandException.BadInput($"Listener '{listenerId}' is not a udp listener: sendto sends datagrams.");
        }

        if (string.IsNullOrWhiteSpace(host) || port is not (>= 1 and <= 65535))
        {
            throw CommandException.BadInput("host and port (1-65535) are required.");
        }

        var payload = Decode(data, encoding, ListenerProtocol.Udp);
        await guard.CheckAsync(new Connections.DialTarget(ListenerProtocol.Udp, host, port, null, null), listeners.Listeners, CancellationToken.None).ConfigureAwait(false);
        var remote = await listener.ResolveAsync(host, port.Value).ConfigureAwait(false)
            ?? throw CommandException.BadInput($"'{host}' has no address this listener ({listener.Description}) can send to.");
        var session = listener.TrySessionFor(remote)
            ?? throw CommandException.Conflict($"Listener '{listenerId}' is at its session limit (Gateway:Limits:MaxSessionsPerListener or MaxSessions): no new peer now.");
        return new SendToResult(Enqueue(session, payload, actor, "sendto", detail: $"to {remote}"), session.Id);
    }

    /// <summary>Queues the payload for every open session of a listener.</summary>
    public BroadcastResult Broadcast(string listenerId, string? data, string? encoding, Actor actor)
    {
        var listener = GetListener(listenerId);
        var payload = Decode(data, encoding, listener.Protocol);
        var delivered = 0;
        foreach (var session in plane.Sessions.ListOpen(listener.Id))
        {
            if (session.CheckPayload(payload) is null && session.TryEnqueue(payload) == SendOutcome.Accepted)
            {
                delivered++;
            }
        }

        audit.Record(actor, "broadcast", $"listener {listener.Id}", payload.Length, $"{delivered} sessions");
        _injected.Add((long)payload.Length * delivered);
        return new BroadcastResult(delivered, payload.Length);
    }

    /// <summary>Closes a session (FIN after queued sends) or resets it; completes when it is closed.</summary>
    public async Task CloseAsync(long sessionId, bool abort, Actor actor)
    {
        if (Cluster is { } cluster && cluster.IsRemote(sessionId))
        {
            await cluster.CloseAsync(sessionId, abort, actor).ConfigureAwait(false);
            return;
        }

        var closed = $"Session {sessionId} is already closed.";
        var session = GetOpenSession(sessionId, closed);
        if (!session.IsOpen)
        {
            throw CommandException.Conflict(closed);
        }

        audit.Record(actor, abort ? "abort" : "close", $"session {sessionId}");
        await session.CloseAsync(abort ? $"aborted by {actor}" : $"closed by {actor}", abort).ConfigureAwait(false);
    }

    private int Enqueue(Session session, byte[] payload, Actor actor, string action, SendTarget target = SendTarget.Client, string? detail = null)
    {
        if (session.CheckPayload(payload) is { } problem)
        {
            throw CommandException.BadInput(problem);
        }

        switch (session.TryEnqueue(payload, target))
        {
            case SendOutcome.Closed:
                throw CommandException.Conflict($"Session {session.Id} is closed.");
            case SendOutcome.QueueFull:
                throw CommandException.Conflict(
                    $"Session {session.Id} already has {session.PendingSendBytes} bytes waiting: the peer is not reading. Retry later.");
        }

        audit.Record(actor, action, $"session {session.Id}", payload.Length, target == SendTarget.Upstream ? "to the upstream" : detail);
        _injected.Add(payload.Length);
        return payload.Length;
    }

    private byte[] Decode(string? data, string? encoding, ListenerProtocol protocol)
    {
        var payload = InjectedPayload.Decode(data, encoding, plane.Options.Limits.MaxSendBytes);
        if (payload.Length == 0 && protocol != ListenerProtocol.Udp)
        {
            throw CommandException.BadInput("'data' is empty: there is nothing to send on a stream.");
        }

        return payload;
    }

}

/// <summary>Result of a sendto.</summary>
/// <param name="Bytes">Bytes queued as one datagram.</param>
/// <param name="SessionId">The session of the destination endpoint (replies arrive there).</param>
public sealed record SendToResult(int Bytes, long SessionId);

/// <summary>Result of a broadcast.</summary>
/// <param name="Sessions">Open sessions the payload was queued for.</param>
/// <param name="Bytes">Payload size: what each of those sessions receives.</param>
public sealed record BroadcastResult(int Sessions, int Bytes);
