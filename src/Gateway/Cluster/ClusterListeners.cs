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
internal sealed class ClusterListeners(ClusterNode node, NpgsqlDataSource database, ListenerManager listeners, ClusterView view,
    RuleCommands rules, FaultCommands faults, TrafficEventBus bus, ILogger<ClusterListeners> logger)
{
    private static readonly Actor Cluster = new("cluster", "cluster", Roles.Admin, null);

    /// <summary>Serialises this node's changes to its cluster listeners: creation, removal, settings, reconciling.</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The cluster listeners this node bound (so that it unbinds those the cluster no longer has).</summary>
    private readonly HashSet<string> _bound = new(StringComparer.Ordinal);

    /// <summary>The settings version each listener here has.</summary>
    private readonly Dictionary<string, long> _applied = new(StringComparer.Ordinal);

    /// <summary>Listeners whose settings changed here while PostgreSQL was away: shared when it is back.</summary>
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);

    /// <summary>Why a listener or its settings could not be taken here, so each reason is logged once.</summary>
    private readonly Dictionary<string, string> _refused = new(StringComparer.Ordinal);

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

    /// <summary>
    /// After a change of the listener's settings through this node's API: stores them for the cluster and
    /// pushes them to the other nodes. While PostgreSQL is away the change holds here and is shared when it is back.
    /// </summary>
    public async Task ShareSettingsAsync(string id)
    {
        string json;
        long version;
        await _gate.WaitAsync();
        try
        {
            if (listeners.Find(id) is not { } listener)
            {
                return;
            }

            json = JsonSerializer.Serialize(ListenerSettings.Of(listener), ClusterJson.Options); // read under the gate: a later change is stored later
            try
            {
                version = await StoreSettingsAsync(id, json);
            }
            catch (NpgsqlException ex)
            {
                if (_pending.Add(id))
                {
                    ClusterLog.SettingsNotShared(logger, id, ex.Message);
                }

                return;
            }

            _pending.Remove(id);
            _applied[id] = version;
        }
        finally
        {
            _gate.Release();
        }

        await Task.WhenAll(Others().Select(async n =>
        {
            try
            {
                await view.ApplyListenerSettingsAsync(n, id, json, version);
            }
            catch (CommandException)
            {
                // Away or slow: its reconciling reads the stored settings.
            }
        }));
    }

    /// <summary>Settings stored by another node, pushed here: applied when newer than what this node has.</summary>
    public async Task ApplySettingsHereAsync(string id, string json, long version)
    {
        await _gate.WaitAsync();
        try
        {
            Apply(id, json, version);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Brings this node to the stored state: shares what waited for PostgreSQL, binds the cluster's listeners
    /// it lacks, unbinds those the cluster no longer has, and applies newer settings.
    /// </summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        List<string> waiting;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            waiting = [.. _pending];
        }
        finally
        {
            _gate.Release();
        }

        foreach (var id in waiting)
        {
            await ShareSettingsAsync(id);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Read under the gate: a listener created or removed through this node meanwhile is in the store as read, or not yet here.
            var stored = await ReadAsync("SELECT name, request::text, 0 FROM gateway_listeners ORDER BY created_at", cancellationToken);
            var settings = await ReadAsync("SELECT name, settings::text, version FROM gateway_listener_settings", cancellationToken);

            foreach (var (name, json, _) in stored.Where(s => listeners.Find(s.Name) is null))
            {
                try
                {
                    await BindAsync(JsonSerializer.Deserialize<CreateListenerRequest>(json, ClusterJson.Options)!, Cluster);
                    _refused.Remove(name);
                }
                catch (CommandException refused)
                {
                    Refused(name, refused.Message, () => ClusterLog.ListenerNotBound(logger, name, node.Id!, refused.Message));
                }
            }

            foreach (var gone in _bound.Where(b => !stored.Any(s => s.Name == b)).ToList())
            {
                Forget(gone);
                if (listeners.Find(gone) is not null)
                {
                    await listeners.RemoveAsync(gone, Cluster);
                }
            }

            foreach (var (name, json, version) in settings.Where(s => !_pending.Contains(s.Name)))
            {
                Apply(name, json, version);
            }
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
        foreach (var id in Others())
        {
            try
            {
                byNode[id] = await view.ListenersAsync(id);
            }
            catch (CommandException)
            {
                // Shown as not answering.
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

    /// <summary>Applies stored settings to the listener of that name here, if this node has one and has older ones (under the gate).</summary>
    private void Apply(string id, string json, long version)
    {
        if (listeners.Find(id) is not { } listener || _applied.GetValueOrDefault(id) >= version)
        {
            return;
        }

        _applied[id] = version;
        _pending.Remove(id); // a later change, stored by another node, wins over one that waited here
        try
        {
            var settings = JsonSerializer.Deserialize<ListenerSettings>(json, ClusterJson.Options)!;
            rules.ReplaceAll(id, settings.Rules, Cluster);
            if (listener.IsRelay || settings.Faults.Length > 0)
            {
                faults.ReplaceAll(id, settings.Faults, Cluster);
            }

            listener.ChooseDecoder(settings.Decoder);
            listener.Layout = settings.Layout;
            bus.Publish(new ListenerChanged(listener.Snapshot()));
            _refused.Remove($"settings of {id}");
        }
        catch (CommandException refused)
        {
            // A listener of this name that is not the same here (a configured one that is no relay, say).
            Refused($"settings of {id}", refused.Message, () => ClusterLog.SettingsNotApplied(logger, id, node.Id!, refused.Message));
        }
    }

    private void Refused(string what, string reason, Action log)
    {
        if (_refused.GetValueOrDefault(what) != reason)
        {
            _refused[what] = reason;
            log();
        }
    }

    private void Forget(string id)
    {
        _bound.Remove(id);
        _applied.Remove(id);
        _pending.Remove(id);
    }

    private async Task<long> StoreSettingsAsync(string id, string json)
    {
        await using var upsert = database.CreateCommand("""
            INSERT INTO gateway_listener_settings (name, settings, version, node, changed_at)
            VALUES (@name, @settings::jsonb, nextval('gateway_settings_version'), @node, now())
            ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, version = excluded.version, node = excluded.node, changed_at = excluded.changed_at
            RETURNING version
            """);
        upsert.Parameters.AddWithValue("name", id);
        upsert.Parameters.AddWithValue("settings", json);
        upsert.Parameters.AddWithValue("node", node.Id!);
        return (long)(await upsert.ExecuteScalarAsync())!;
    }

    private async Task<List<(string Name, string Json, long Version)>> ReadAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<(string, string, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return rows;
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

/// <summary>One node's socket for a cluster listener.</summary>
/// <param name="Node">The node.</param>
/// <param name="State">listening, failed, stopped, or absent (the node does not have it).</param>
/// <param name="Address">The address it bound.</param>
/// <param name="Port">The port it bound.</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record ListenerBinding(string Node, string State, string? Address, int Port, string? Error);
