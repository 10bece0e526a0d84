using System.Text.Json;
using Gateway.Api;
using Gateway.Listeners;
using Gateway.Security;
using Gateway.Sessions;
using Gateway.Traffic;
using Npgsql;

namespace Gateway.Cluster;

/// <summary>A cluster listener's settings: shared on change, applied where newer, reconciled every few seconds.</summary>
internal sealed partial class ClusterListeners
{
    /// <summary>The settings version each listener here has.</summary>
    private readonly Dictionary<string, long> _applied = new(StringComparer.Ordinal);

    /// <summary>Listeners whose settings changed here while PostgreSQL was away: shared when it is back.</summary>
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);

    /// <summary>Why a listener or its settings could not be taken here, so each reason is logged once.</summary>
    private readonly Dictionary<string, string> _refused = new(StringComparer.Ordinal);

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
}
