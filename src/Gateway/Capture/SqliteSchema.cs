using Microsoft.Data.Sqlite;

namespace Gateway.Capture;

/// <summary>
/// The capture database's schema, versioned by <c>PRAGMA user_version</c>: each migration takes the file
/// from one version to the next, in one transaction, at start.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Migration N (index N - 1) takes the schema from version N - 1 to N.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            listener_id TEXT,
            kind TEXT NOT NULL,
            protocol TEXT NOT NULL,
            framing TEXT NOT NULL,
            tls INTEGER NOT NULL,
            remote TEXT NOT NULL,
            local TEXT NOT NULL,
            upstream TEXT,
            capture TEXT NOT NULL,
            state TEXT NOT NULL,
            opened_at INTEGER NOT NULL,
            closed_at INTEGER,
            close_reason TEXT,
            bytes_in INTEGER NOT NULL,
            bytes_out INTEGER NOT NULL,
            messages_in INTEGER NOT NULL,
            messages_out INTEGER NOT NULL);
        CREATE INDEX sessions_listener ON sessions (listener_id, id);
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL,
            listener_id TEXT,
            direction TEXT NOT NULL,
            at INTEGER NOT NULL,
            size INTEGER NOT NULL,
            data BLOB,
            faults TEXT);
        CREATE INDEX messages_session ON messages (session_id, seq);
        CREATE INDEX messages_listener ON messages (listener_id, seq);
        CREATE INDEX messages_at ON messages (at);
        """,
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            key_name TEXT NOT NULL,
            role TEXT NOT NULL,
            via TEXT NOT NULL,
            remote_ip TEXT,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            bytes INTEGER,
            detail TEXT);
        CREATE INDEX audit_at ON audit (at);
        """,
        """
        ALTER TABLE messages ADD COLUMN rules TEXT;
        ALTER TABLE messages ADD COLUMN tags TEXT;
        """,
        """
        ALTER TABLE sessions ADD COLUMN tls_info TEXT;
        """,
        """
        ALTER TABLE messages ADD COLUMN summary TEXT;
        """,
        """
        ALTER TABLE messages ADD COLUMN seg INTEGER;
        ALTER TABLE messages ADD COLUMN seg_off INTEGER;
        ALTER TABLE messages ADD COLUMN seg_len INTEGER;
        """,
        """
        CREATE TABLE annotations (
            session_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            starred INTEGER NOT NULL,
            tags TEXT,
            note TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (session_id, seq));
        """,
        """
        CREATE TABLE annotation_changes (
            session_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            change INTEGER NOT NULL,
            PRIMARY KEY (session_id, seq));
        CREATE INDEX annotation_changes_change ON annotation_changes (change);
        INSERT INTO annotation_changes (session_id, seq, change) SELECT session_id, seq, row_number() OVER (ORDER BY updated_at) FROM annotations;
        """,
    ];

    public static int Version => Migrations.Length;

    /// <summary>Sessions still open in the file were open when the gateway died: close them with what their messages say.</summary>
    public const string CloseOrphans = """
        UPDATE sessions SET
            state = 'closed',
            close_reason = 'gateway restarted',
            closed_at = COALESCE((SELECT MAX(m.at) FROM messages m WHERE m.session_id = sessions.id), opened_at),
            bytes_in = (SELECT COALESCE(SUM(m.size), 0) FROM messages m WHERE m.session_id = sessions.id AND m.direction = 'in'),
            bytes_out = (SELECT COALESCE(SUM(m.size), 0) FROM messages m WHERE m.session_id = sessions.id AND m.direction = 'out'),
            messages_in = (SELECT COUNT(*) FROM messages m WHERE m.session_id = sessions.id AND m.direction = 'in'),
            messages_out = (SELECT COUNT(*) FROM messages m WHERE m.session_id = sessions.id AND m.direction = 'out')
        WHERE state = 'open'
        """;

    public static async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        if (version > Version)
        {
            throw new InvalidOperationException(
                $"The capture database {connection.DataSource} has schema version {version}, newer than this gateway's {Version}: use a newer gateway or another ConnectionStrings:Capture.");
        }

        for (; version < Version; version++)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            using var migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = $"{Migrations[version]}\nPRAGMA user_version = {version + 1};";
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
