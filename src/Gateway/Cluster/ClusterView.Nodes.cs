using Gateway.Sessions;
using Npgsql;

namespace Gateway.Cluster;

/// <summary>The nodes as this one sees them: the registry in PostgreSQL, their states in the membership, their numbers.</summary>
internal sealed partial class ClusterView
{
    /// <summary>Every node that ever joined: its state in the membership, its open sessions when it answers.</summary>
    public async Task<List<NodeInfo>> NodesAsync(CancellationToken cancellationToken)
    {
        List<NodeRow> rows;
        try
        {
            rows = await ReadNodesAsync(cancellationToken);
        }
        catch (NpgsqlException) when (_lastRows.Count > 0)
        {
            rows = _lastRows; // PostgreSQL is away: the nodes as last read, their states from the membership this node holds
        }

        var members = membership.CurrentSnapshot.Members.Values.ToList();
        // Asked together: a node that does not answer costs one call timeout, not one per node.
        var nodes = await Task.WhenAll(rows.OrderBy(r => r.Id, StringComparer.Ordinal).Select(async row =>
        {
            var member = members.Where(m => m.Name == row.Id).OrderByDescending(m => m.SiloAddress.Generation).FirstOrDefault();
            var state = member is null || member.Status == SiloStatus.Dead ? "lost" : member.Status.ToString().ToLowerInvariant();
            int? open = null;
            if (state == "active")
            {
                try
                {
                    open = (int)(await CallAsync(row.Id, g => g.Describe())).Value;
                }
                catch (CommandException)
                {
                    state = "unreachable";
                }
            }

            return new NodeInfo(row.Id, row.Address, state, open ?? 0, row.StartedAt, row.LastSeen, row.Number);
        }));
        return [.. nodes];
    }

    /// <summary>The ids of the nodes whose silos are active now.</summary>
    public IReadOnlyList<string> ActiveNodes() =>
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).Distinct().ToList();

    /// <summary>Reads which node has which number again (when nodes join; a failure keeps what is known).</summary>
    public async Task RefreshNamesAsync()
    {
        try
        {
            _names = (await ReadNodesAsync(CancellationToken.None)).ToDictionary(r => r.Number, r => r.Id);
        }
        catch (NpgsqlException)
        {
            // PostgreSQL is away: the names known so far still hold (numbers never change hands).
        }
    }

    private volatile List<NodeRow> _lastRows = [];

    /// <summary>The registered nodes; a connection the pool kept from before a database restart is broken, so one failure is tried again.</summary>
    private async Task<List<NodeRow>> ReadNodesAsync(CancellationToken cancellationToken)
    {
        try
        {
            return _lastRows = await ReadNodesOnceAsync(cancellationToken);
        }
        catch (NpgsqlException)
        {
            return _lastRows = await ReadNodesOnceAsync(cancellationToken);
        }
    }

    private async Task<List<NodeRow>> ReadNodesOnceAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT n.id, n.number, n.address, n.started_at, GREATEST(n.last_seen, COALESCE(MAX(m.i_am_alive_time), n.last_seen))
            FROM gateway_nodes n LEFT JOIN orleans_membership m ON m.silo_name = n.id AND m.deployment_id = @cluster
            GROUP BY n.id, n.number, n.address, n.started_at, n.last_seen
            """);
        command.Parameters.AddWithValue("cluster", _clusterId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<NodeRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new NodeRow(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return rows;
    }

    private sealed record NodeRow(string Id, int Number, string Address, DateTimeOffset StartedAt, DateTimeOffset LastSeen);
}
