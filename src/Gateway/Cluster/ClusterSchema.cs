using Npgsql;

namespace Gateway.Cluster;

/// <summary>
/// The cluster's tables in PostgreSQL, created when missing, under an advisory lock (nodes that start together
/// take turns): Orleans' membership tables with the statements its ADO.NET clustering reads from
/// <c>OrleansQuery</c>, and the gateway's own. Orleans reads and writes membership only through those
/// statements, by parameter and column name; the table layout behind them is ours.
/// </summary>
internal static class ClusterSchema
{
    /// <summary>Taken for the length of the set-up transaction (any constant both sides agree on).</summary>
    private const long SetupLock = 0x5347_6174_6577_6179; // "SGateway"

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS OrleansQuery (
            QueryKey varchar(64) PRIMARY KEY,
            QueryText text NOT NULL);
        CREATE TABLE IF NOT EXISTS orleans_membership_version (
            deployment_id text PRIMARY KEY,
            version integer NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS orleans_membership (
            deployment_id text NOT NULL REFERENCES orleans_membership_version (deployment_id),
            address text NOT NULL,
            port integer NOT NULL,
            generation integer NOT NULL,
            silo_name text NOT NULL,
            host_name text NOT NULL,
            status integer NOT NULL,
            proxy_port integer,
            suspect_times text,
            start_time timestamptz NOT NULL,
            i_am_alive_time timestamptz NOT NULL,
            PRIMARY KEY (deployment_id, address, port, generation));
        CREATE TABLE IF NOT EXISTS history_sessions (
            id bigint PRIMARY KEY,
            node text NOT NULL,
            listener_id text,
            state text NOT NULL,
            opened_at timestamptz NOT NULL,
            info jsonb NOT NULL);
        CREATE TABLE IF NOT EXISTS history_messages (
            seq bigint PRIMARY KEY,
            node text NOT NULL,
            session_id bigint NOT NULL,
            listener_id text,
            direction text NOT NULL,
            at timestamptz NOT NULL,
            size integer NOT NULL,
            data bytea NOT NULL,
            summary text,
            tags text[] NOT NULL,
            info jsonb NOT NULL);
        CREATE INDEX IF NOT EXISTS history_messages_session ON history_messages (session_id, seq);
        CREATE TABLE IF NOT EXISTS history_marks (
            node text PRIMARY KEY,
            shipped_seq bigint NOT NULL);
        ALTER TABLE history_marks ADD COLUMN IF NOT EXISTS shipped_change bigint NOT NULL DEFAULT 0;
        CREATE TABLE IF NOT EXISTS gateway_listeners (
            name text PRIMARY KEY,
            request jsonb NOT NULL,
            created_at timestamptz NOT NULL);
        CREATE SEQUENCE IF NOT EXISTS gateway_settings_version;
        CREATE TABLE IF NOT EXISTS gateway_listener_settings (
            name text PRIMARY KEY,
            settings jsonb NOT NULL,
            version bigint NOT NULL,
            node text NOT NULL,
            changed_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS gateway_nodes (
            id text PRIMARY KEY,
            number integer NOT NULL UNIQUE,
            address text NOT NULL,
            started_at timestamptz NOT NULL,
            last_seen timestamptz NOT NULL);
        """;

    /// <summary>What a membership row reads as, under the column names Orleans asks for.</summary>
    private const string MemberColumns = """
        v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
        m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
        m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime", v.version AS "Version"
        """;

    private const string ThisSilo = "deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation";

    /// <summary>
    /// The statements, by the keys Orleans' ADO.NET clustering looks up. Each change of a row bumps the
    /// deployment's version in the same statement, and only from the version the caller read (optimistic
    /// concurrency); those answer with one count, which Orleans reads as true when above zero.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> Queries = new Dictionary<string, string>
    {
        ["InsertMembershipVersionKey"] = """
            WITH added AS (
                INSERT INTO orleans_membership_version (deployment_id) VALUES (@DeploymentId)
                ON CONFLICT (deployment_id) DO NOTHING RETURNING 1)
            SELECT count(*)::integer FROM added
            """,
        ["InsertMembershipKey"] = $"""
            WITH bumped AS (
                UPDATE orleans_membership_version SET version = version + 1, updated_at = now()
                WHERE deployment_id = @DeploymentId AND version = @Version
                  AND NOT EXISTS (SELECT 1 FROM orleans_membership WHERE {ThisSilo})
                RETURNING deployment_id),
            added AS (
                INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive_time)
                SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime FROM bumped
                RETURNING 1)
            SELECT count(*)::integer FROM added
            """,
        ["UpdateMembershipKey"] = $"""
            WITH bumped AS (
                UPDATE orleans_membership_version SET version = version + 1, updated_at = now()
                WHERE deployment_id = @DeploymentId AND version = @Version
                  AND EXISTS (SELECT 1 FROM orleans_membership WHERE {ThisSilo})
                RETURNING 1),
            changed AS (
                UPDATE orleans_membership SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
                WHERE {ThisSilo} AND EXISTS (SELECT 1 FROM bumped)
                RETURNING 1)
            SELECT count(*)::integer FROM changed
            """,
        ["UpdateIAmAlivetimeKey"] = $"UPDATE orleans_membership SET i_am_alive_time = @IAmAliveTime WHERE {ThisSilo}",
        ["MembershipReadRowKey"] = $"""
            SELECT {MemberColumns}
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
            WHERE v.deployment_id = @DeploymentId
            """,
        ["MembershipReadAllKey"] = $"""
            SELECT {MemberColumns}
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
            WHERE v.deployment_id = @DeploymentId
            """,
        ["DeleteMembershipTableEntriesKey"] = """
            DELETE FROM orleans_membership WHERE deployment_id = @DeploymentId;
            DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId
            """,
        ["GatewaysQueryKey"] = """
            SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
            FROM orleans_membership WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
            """,
        ["CleanupDefunctSiloEntriesKey"] = """
            DELETE FROM orleans_membership WHERE deployment_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status <> 3
            """,
    };

    /// <summary>Creates what is missing and brings the statements up to date; then registers this node and returns its number (1 to <see cref="ClusterNode.MaxNodes"/>).</summary>
    public static async Task<int> PrepareAsync(NpgsqlDataSource database, string nodeId, string address, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({SetupLock})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, Tables, cancellationToken).ConfigureAwait(false);
        foreach (var (key, text) in Queries)
        {
            await using var upsert = new NpgsqlCommand(
                "INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES (@key, @text) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText", connection, transaction);
            upsert.Parameters.AddWithValue("key", key);
            upsert.Parameters.AddWithValue("text", text);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // A node keeps its number across restarts; a new one takes the next free one.
        await using var register = new NpgsqlCommand("""
            INSERT INTO gateway_nodes (id, number, address, started_at, last_seen)
            VALUES (@id, COALESCE((SELECT number FROM gateway_nodes WHERE id = @id), (SELECT COALESCE(MAX(number), 0) + 1 FROM gateway_nodes)), @address, now(), now())
            ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, started_at = now(), last_seen = now()
            RETURNING number
            """, connection, transaction);
        register.Parameters.AddWithValue("id", nodeId);
        register.Parameters.AddWithValue("address", address);
        var number = (int)(await register.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (number > ClusterNode.MaxNodes)
        {
            throw new InvalidOperationException($"The cluster already has {ClusterNode.MaxNodes} nodes: node '{nodeId}' cannot join (remove old ones from gateway_nodes).");
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return number;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
