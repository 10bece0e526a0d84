using System.Text.Json;
using Gateway.Api;
using Gateway.Listeners;
using Gateway.Security;
using Gateway.Sessions;
using Npgsql;

namespace Gateway.Cluster;

/// <summary>
/// Listeners made through the API of any node are the cluster's: kept in PostgreSQL (<c>gateway_listeners</c>)
/// and bound by every node, each on its own <c>Gateway:Cluster:Address</c> when the request names no address.
/// A node that starts, or comes back, binds the stored ones. Each node's bind state shows in the listener's
/// <c>nodes</c>.
/// </summary>
internal sealed class ClusterListeners(ClusterNode node, NpgsqlDataSource database, ListenerManager listeners, ClusterView view, ILogger<ClusterListeners> logger)
{
    /// <summary>Stores the listener for the cluster, then has every active node bind it; answers this node's.</summary>
    public async Task<ListenerInfo> CreateAsync(CreateListenerRequest request, Actor actor)
    {
        var name = request.Name?.Trim() ?? ""; // checked with the rest of the request by the local bind below
        await using (var insert = database.CreateCommand("INSERT INTO gateway_listeners (name, request, created_at) VALUES (@name, @request::jsonb, now()) ON CONFLICT (name) DO NOTHING"))
        {
            insert.Parameters.AddWithValue("name", name);
            insert.Parameters.AddWithValue("request", JsonSerializer.Serialize(request, ClusterJson.Options));
            if (await insert.ExecuteNonQueryAsync() == 0)
            {
                throw CommandException.Conflict($"A cluster listener named '{name}' already exists.");
            }
        }

        ListenerInfo mine;
        try
        {
            mine = (await AddHereAsync(request, actor)).Snapshot();
        }
        catch (CommandException)
        {
            // Refused here (bad input, a port in use): the cluster keeps nothing of it.
            await ForgetAsync(name);
            throw;
        }

        var others = view.ActiveNodes().Where(id => id != node.Id).ToList();
        await Task.WhenAll(others.Select(async id =>
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

    /// <summary>Stops it on every node and forgets it.</summary>
    public async Task RemoveAsync(string id, Actor actor)
    {
        var stored = await ForgetAsync(id);
        var here = listeners.Find(id) is not null;
        if (!stored && !here)
        {
            throw CommandException.NotFound($"Listener '{id}' does not exist.");
        }

        if (here)
        {
            await listeners.RemoveAsync(id, actor);
        }

        if (stored)
        {
            await Task.WhenAll(view.ActiveNodes().Where(n => n != node.Id).Select(async n =>
            {
                try
                {
                    await view.RemoveListenerAsync(n, id, actor);
                }
                catch (CommandException)
                {
                    // Not there, or the node is away: it will not bind a listener the cluster no longer has when it starts.
                }
            }));
        }
    }

    /// <summary>A request from another node: bind it here.</summary>
    public async Task<GatewayListener> AddHereAsync(CreateListenerRequest request, Actor actor)
    {
        var options = request.ToOptions();
        if (string.IsNullOrWhiteSpace(request.Address) && options.Protocol is not "unix")
        {
            options.Address = node.Address;
        }

        return await listeners.AddAsync(options, actor);
    }

    /// <summary>At start: binds the cluster's listeners this node does not have yet.</summary>
    public async Task ApplyStoredAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT name, request::text FROM gateway_listeners ORDER BY created_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var stored = new List<(string Name, string Request)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            stored.Add((reader.GetString(0), reader.GetString(1)));
        }

        foreach (var (name, json) in stored.Where(s => listeners.Find(s.Name) is null))
        {
            try
            {
                await AddHereAsync(JsonSerializer.Deserialize<CreateListenerRequest>(json, ClusterJson.Options)!, new Actor("cluster", "cluster", Roles.Admin, null));
            }
            catch (CommandException refused)
            {
                ClusterLog.ListenerNotBound(logger, name, node.Id!, refused.Message);
            }
        }
    }

    /// <summary>This node's listeners, each with every node's bind state of it.</summary>
    public async Task<ListenerInfo[]> WithNodesAsync(CancellationToken cancellationToken)
    {
        var mine = listeners.Listeners.Select(l => l.Snapshot()).ToArray();
        var byNode = new Dictionary<string, ListenerInfo[]> { [node.Id!] = mine };
        foreach (var id in view.ActiveNodes().Where(n => n != node.Id))
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

    private async Task<bool> ForgetAsync(string name)
    {
        await using var delete = database.CreateCommand("DELETE FROM gateway_listeners WHERE name = @name");
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
