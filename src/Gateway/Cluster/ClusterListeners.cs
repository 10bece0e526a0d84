using System.Text.Json;
using Gateway.Api;
using Gateway.Faults;
using Gateway.Listeners;
using Gateway.Pipeline;
using Gateway.Security;
using Gateway.Sessions;
using Gateway.Traffic;
using Npgsql;

namespace Gateway.Cluster;

/// <summary>
/// Listeners made through the API of any node are the cluster's: kept in PostgreSQL (<c>gateway_listeners</c>)
/// and bound by every node, each on its own <c>Gateway:Cluster:Address</c> when the request names no address.
/// Their settings (rules, interception, faults, decoder, layout), changed on any node, are the cluster's too
/// (<c>gateway_listener_settings</c>, for configured listeners of the same name as well): stored whole with a
/// version from one sequence, pushed to the other nodes at once, and applied by each where its version is newer.
/// Every node also reconciles with the stored state every few seconds (<see cref="ReconcileAsync"/>), so a node
/// that missed a push, started late or came back converges. Each node's bind state shows in the listener's <c>nodes</c>.
/// </summary>
internal sealed partial class ClusterListeners(ClusterNode node, NpgsqlDataSource database, ListenerManager listeners, ClusterView view,
    RuleCommands rules, FaultCommands faults, TrafficEventBus bus, ILogger<ClusterListeners> logger)
{
    private static readonly Actor Cluster = new("cluster", "cluster", Roles.Admin, null);

    /// <summary>Serialises this node's changes to its cluster listeners: creation, removal, settings, reconciling.</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The cluster listeners this node bound (so that it unbinds those the cluster no longer has).</summary>
    private readonly HashSet<string> _bound = new(StringComparer.Ordinal);

    /// <summary>Stores the listener for the cluster, then has every active node bind it; answers this node's.</summary>
    public async Task<ListenerInfo> CreateAsync(CreateListenerRequest request, Actor actor)
    {
        var name = request.Name?.Trim() ?? ""; // checked with the rest of the request by the local bind below
        ListenerInfo mine;
        await _gate.WaitAsync(); // stored and bound here in one step: this node's reconciling never sees one without the other
        try
        {
            await using (var insert = database.CreateCommand("INSERT INTO gateway_listeners (name, request, created_at) VALUES (@name, @request::jsonb, now()) ON CONFLICT (name) DO NOTHING"))
            {
                insert.Parameters.AddWithValue("name", name);
                insert.Parameters.AddWithValue("request", JsonSerializer.Serialize(request, ClusterJson.Options));
                if (await insert.ExecuteNonQueryAsync() == 0)
                {
                    throw CommandException.Conflict($"A cluster listener named '{name}' already exists.");
                }
            }

            try
            {
                mine = (await BindAsync(request, actor)).Snapshot();
            }
            catch (CommandException)
            {
                // Refused here (bad input, a port in use): the cluster keeps nothing of it.
                await ForgetAsync(name);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }

        await Task.WhenAll(Others().Select(async id =>
        {
            try
            {
                await view.AddListenerAsync(id, request, actor);
            }
            catch (CommandException refused)
            {
                ClusterLog.ListenerNotBound(logger, name, id, refused.Message);
            }
        }));
        return mine;
    }

    /// <summary>Stops it on every node and forgets it (and its shared settings).</summary>
    public async Task RemoveAsync(string id, Actor actor)
    {
        var stored = await ForgetAsync(id);
        if (!await RemoveHereAsync(id, actor) && !stored)
        {
            throw CommandException.NotFound($"Listener '{id}' does not exist.");
        }

        if (stored)
        {
            await Task.WhenAll(Others().Select(async n =>
            {
                try
                {
                    await view.RemoveListenerAsync(n, id, actor);
                }
                catch (CommandException)
                {
                    // Not there, or the node is away: its next reconciling unbinds a listener the cluster no longer has.
                }
            }));
        }
    }

    /// <summary>A request from another node (or this one's API): bind it here.</summary>
    public async Task<GatewayListener> AddHereAsync(CreateListenerRequest request, Actor actor)
    {
        await _gate.WaitAsync();
        try
        {
            // Already bound by this node's reconciling, which can read the stored listener before the push arrives.
            return request.Name?.Trim() is { } name && _bound.Contains(name) && listeners.Find(name) is { } bound
                ? bound
                : await BindAsync(request, actor);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Unbinds it here; false when this node did not have it.</summary>
    public async Task<bool> RemoveHereAsync(string id, Actor actor)
    {
        await _gate.WaitAsync();
        try
        {
            Forget(id);
            if (listeners.Find(id) is null)
            {
                return false;
            }

            await listeners.RemoveAsync(id, actor);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>This node's listeners, each with every node's bind state of it.</summary>
    public async Task<ListenerInfo[]> WithNodesAsync(CancellationToken cancellationToken)
    {
        var mine = listeners.Listeners.Select(l => l.Snapshot()).ToArray();
        var byNode = new Dictionary<string, ListenerInfo[]> { [node.Id!] = mine };
        // Asked together: a node that does not answer costs one call timeout, not one per node.
        var others = await Task.WhenAll(Others().Select(async id =>
        {
            try
            {
                return (Id: id, Listeners: await view.ListenersAsync(id));
            }
            catch (CommandException)
            {
                return (Id: id, Listeners: (ListenerInfo[]?)null); // left out: not answering
            }
        }));
        foreach (var (id, theirs) in others)
        {
            if (theirs is not null)
            {
                byNode[id] = theirs;
            }
        }

        return mine.Select(l => l with
        {
            Nodes = byNode.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => n.Value.FirstOrDefault(x => x.Id == l.Id) is { } there
                ? new ListenerBinding(n.Key, there.State.ToString().ToLowerInvariant(), there.Address, there.Port, there.Error)
                : new ListenerBinding(n.Key, "absent", null, 0, null)).ToList(),
        }).ToArray();
    }

    private IEnumerable<string> Others() => view.ActiveNodes().Where(id => id != node.Id);

    /// <summary>Binds it here (under the gate); without an address, on this node's cluster address.</summary>
    private async Task<GatewayListener> BindAsync(CreateListenerRequest request, Actor actor)
    {
        var options = request.ToOptions();
        if (string.IsNullOrWhiteSpace(request.Address) && options.Protocol is not "unix")
        {
            options.Address = node.Address;
        }

        var listener = await listeners.AddAsync(options, actor);
        _bound.Add(listener.Id);
        _applied.Remove(listener.Id); // a new listener: the stored settings apply to it, whatever an earlier one of its name had
        return listener;
    }

    private void Forget(string id)
    {
        _bound.Remove(id);
        _applied.Remove(id);
        _pending.Remove(id);
    }

    private async Task<bool> ForgetAsync(string name)
    {
        // The count is the listener's: shared settings of a configured listener go too, but do not make it a cluster listener.
        await using var delete = database.CreateCommand("""
            WITH settings AS (DELETE FROM gateway_listener_settings WHERE name = @name)
            DELETE FROM gateway_listeners WHERE name = @name
            """);
        delete.Parameters.AddWithValue("name", name);
        return await delete.ExecuteNonQueryAsync() > 0;
    }
}
