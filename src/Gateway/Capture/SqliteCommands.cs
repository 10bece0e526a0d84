using Gateway.Framing;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Data.Sqlite;

namespace Gateway.Capture;

/// <summary>The SQL of <see cref="SqliteCaptureStore"/> and the mapping between rows and records.</summary>
internal static class SqliteCommands
{
    public static readonly string SelectSessions =
        "SELECT id, listener_id, kind, protocol, framing, tls, remote, local, upstream, capture, state, "
        + "opened_at, closed_at, close_reason, bytes_in, bytes_out, messages_in, messages_out, tls_info, "
        + AnnotationColumns("sessions.id", "0") + " FROM sessions";

    /// <summary>A row's annotations (starred, tags, note) by primary key: three lookups, so that the other columns stay unqualified.</summary>
    private static string AnnotationColumns(string session, string seq) =>
        $"(SELECT starred FROM annotations a WHERE a.session_id = {session} AND a.seq = {seq}), "
        + $"(SELECT tags FROM annotations a WHERE a.session_id = {session} AND a.seq = {seq}), "
        + $"(SELECT note FROM annotations a WHERE a.session_id = {session} AND a.seq = {seq})";

    /// <summary>Annotations from three columns at <paramref name="at"/> (null when the row has none).</summary>
    public static Annotations? ReadAnnotations(SqliteDataReader r, int at) =>
        r.IsDBNull(at) ? null : new Annotations(r.GetInt64(at) != 0, r.IsDBNull(at + 1) ? [] : r.GetString(at + 1).Trim(',').Split(',', StringSplitOptions.RemoveEmptyEntries),
            r.IsDBNull(at + 2) ? null : r.GetString(at + 2));

    /// <summary>Tags stored with a comma on each side (",a,b,"), so that instr() finds a whole tag.</summary>
    public static string StoredTags(IReadOnlyList<string> tags) => tags.Count == 0 ? "" : $",{string.Join(',', tags)},";

    private static readonly System.Text.Json.JsonSerializerOptions TlsJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>A message's payload, wherever it is kept: in its row, or in a segment file (read by the <c>gw_segment</c> function every connection has).</summary>
    public const string Payload = "COALESCE(data, gw_segment(seg, seg_off, seg_len))";

    /// <summary>Payload bytes a row keeps (in it or in a segment), without reading them.</summary>
    public const string KeptLength = "COALESCE(length(data), seg_len, 0)";

    private static readonly string SelectMessages = "SELECT seq, session_id, listener_id, direction, at, size, " + Payload + ", faults, rules, tags, summary, "
        + AnnotationColumns("messages.session_id", "messages.seq") + " FROM messages";

    public static SqliteCommand UpdateSummary(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE messages SET summary = $summary WHERE seq = $seq";
        command.Parameters.Add(new SqliteParameter { ParameterName = "$summary" });
        command.Parameters.Add(new SqliteParameter { ParameterName = "$seq" });
        command.Prepare();
        return command;
    }

    public static long ToMicros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    public static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);

    public static SqliteCommand InsertMessage(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO messages (seq, session_id, listener_id, direction, at, size, data, faults, rules, tags, seg, seg_off, seg_len) "
            + "VALUES ($seq, $session, $listener, $direction, $at, $size, $data, $faults, $rules, $tags, $seg, $segoff, $seglen)";
        foreach (var name in new[] { "$seq", "$session", "$listener", "$direction", "$at", "$size", "$data", "$faults", "$rules", "$tags", "$seg", "$segoff", "$seglen" })
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    /// <summary>Binds a message row: its payload in the row (<paramref name="keepPayload"/>, no <paramref name="segment"/>), in a segment, or not kept.</summary>
    public static void BindMessage(SqliteCommand command, TrafficMessage message, bool keepPayload, (long Segment, long Offset)? segment = null)
    {
        var p = command.Parameters;
        p[0].Value = message.Seq;
        p[1].Value = message.SessionId;
        p[2].Value = (object?)message.ListenerId ?? DBNull.Value;
        p[3].Value = Name(message.Direction);
        p[4].Value = ToMicros(message.At);
        p[5].Value = message.Size;
        p[6].Value = keepPayload && segment is null ? message.Data : DBNull.Value;
        p[7].Value = message.Faults is { Count: > 0 } faults ? string.Join(',', faults) : DBNull.Value;
        p[8].Value = message.Rules is { Count: > 0 } rules ? string.Join(',', rules) : DBNull.Value;
        // Tags are stored with a comma on each side (",a,b,"), so that a search finds a whole tag with instr().
        p[9].Value = message.Tags is { Count: > 0 } tags ? $",{string.Join(',', tags)}," : DBNull.Value;
        p[10].Value = segment is { } at ? at.Segment : DBNull.Value;
        p[11].Value = segment is { } off ? off.Offset : DBNull.Value;
        p[12].Value = segment is not null ? message.Data.Length : DBNull.Value;
    }

    public static SqliteCommand UpsertSession(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO sessions (id, listener_id, kind, protocol, framing, tls, remote, local, upstream, capture, "
            + "state, opened_at, closed_at, close_reason, bytes_in, bytes_out, messages_in, messages_out, tls_info) VALUES "
            + "($id, $listener, $kind, $protocol, $framing, $tls, $remote, $local, $upstream, $capture, "
            + "$state, $opened, $closed, $reason, $bin, $bout, $min, $mout, $tlsinfo)";
        foreach (var name in new[] { "$id", "$listener", "$kind", "$protocol", "$framing", "$tls", "$remote", "$local", "$upstream", "$capture",
                     "$state", "$opened", "$closed", "$reason", "$bin", "$bout", "$min", "$mout", "$tlsinfo" })
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    public static void BindSession(SqliteCommand command, SessionInfo session)
    {
        var p = command.Parameters;
        p[0].Value = session.Id;
        p[1].Value = (object?)session.ListenerId ?? DBNull.Value;
        p[2].Value = Name(session.Kind);
        p[3].Value = Name(session.Protocol);
        p[4].Value = Name(session.Framing);
        p[5].Value = session.Tls is null ? 0 : 1;
        p[6].Value = session.Remote;
        p[7].Value = session.Local;
        p[8].Value = (object?)session.Upstream ?? DBNull.Value;
        p[9].Value = Name(session.Capture);
        p[10].Value = Name(session.State);
        p[11].Value = ToMicros(session.OpenedAt);
        p[12].Value = session.ClosedAt is { } closed ? ToMicros(closed) : DBNull.Value;
        p[13].Value = (object?)session.CloseReason ?? DBNull.Value;
        p[14].Value = session.BytesIn;
        p[15].Value = session.BytesOut;
        p[16].Value = session.MessagesIn;
        p[17].Value = session.MessagesOut;
        p[18].Value = session.Tls is { } tls ? System.Text.Json.JsonSerializer.Serialize(tls, TlsJson) : DBNull.Value;
    }

    public static SqliteCommand InsertAudit(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO audit (at, key_name, role, via, remote_ip, action, target, bytes, detail) "
            + "VALUES ($at, $key, $role, $via, $ip, $action, $target, $bytes, $detail)";
        foreach (var name in new[] { "$at", "$key", "$role", "$via", "$ip", "$action", "$target", "$bytes", "$detail" })
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    public static void BindAudit(SqliteCommand command, Security.AuditEntry entry)
    {
        var p = command.Parameters;
        p[0].Value = ToMicros(entry.At);
        p[1].Value = entry.Key;
        p[2].Value = entry.Role;
        p[3].Value = entry.Via;
        p[4].Value = (object?)entry.RemoteIp ?? DBNull.Value;
        p[5].Value = entry.Action;
        p[6].Value = entry.Target;
        p[7].Value = (object?)entry.Bytes ?? DBNull.Value;
        p[8].Value = (object?)entry.Detail ?? DBNull.Value;
    }

    public static Security.AuditEntry ReadAudit(SqliteDataReader r) => new(
        r.GetInt64(0), FromMicros(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
        r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetInt64(8), r.IsDBNull(9) ? null : r.GetString(9));

    public static SessionInfo ReadSession(SqliteDataReader r, string? node) => new(
        r.GetInt64(0),
        r.IsDBNull(1) ? null : r.GetString(1),
        Parse<SessionKind>(r.GetString(2)),
        Parse<ListenerProtocol>(r.GetString(3)),
        Parse<FramingMode>(r.GetString(4)),
        r.GetInt64(5) == 0 ? null
            : r.IsDBNull(18) ? new Tls.SessionTlsInfo(null, null)
            : System.Text.Json.JsonSerializer.Deserialize<Tls.SessionTlsInfo>(r.GetString(18), TlsJson),
        r.GetString(6),
        r.GetString(7),
        r.IsDBNull(8) ? null : r.GetString(8),
        Parse<SessionState>(r.GetString(10)),
        FromMicros(r.GetInt64(11)),
        r.IsDBNull(12) ? null : FromMicros(r.GetInt64(12)),
        r.IsDBNull(13) ? null : r.GetString(13),
        r.GetInt64(14),
        r.GetInt64(15),
        r.GetInt64(16),
        r.GetInt64(17),
        Parse<Capture.CaptureMode>(r.GetString(9)),
        ReadAnnotations(r, 19),
        node);

    /// <summary>A message row; one captured as metadata only has no payload and reads as <c>truncated</c> with empty data.</summary>
    public static MessageInfo ReadMessage(SqliteDataReader r, string? node)
    {
        var size = r.GetInt32(5);
        var data = r.IsDBNull(6) ? [] : (byte[])r.GetValue(6);
        return new MessageInfo(
            r.GetInt64(0),
            r.GetInt64(1),
            r.IsDBNull(2) ? null : r.GetString(2),
            Parse<Direction>(r.GetString(3)),
            FromMicros(r.GetInt64(4)),
            size,
            data,
            data.Length < size,
            r.IsDBNull(7) ? null : r.GetString(7).Split(','),
            r.IsDBNull(8) ? null : r.GetString(8).Split(','),
            r.IsDBNull(9) ? null : r.GetString(9).Trim(',').Split(','),
            r.IsDBNull(10) ? null : r.GetString(10),
            ReadAnnotations(r, 11),
            node);
    }

    public static SqliteCommand FindMessages(SqliteConnection connection, MessageQuery query)
    {
        var command = connection.CreateCommand();
        var where = new SqlFilter(command);
        if (query.SessionId is { } session)
        {
            where.Add("session_id = $session", "$session", session);
        }

        if (query.ListenerId is { } listener)
        {
            where.Add("listener_id = $listener COLLATE NOCASE", "$listener", listener);
        }

        if (query.Direction is { } direction)
        {
            where.Add("direction = $direction", "$direction", Name(direction));
        }

        if (query.From is { } from)
        {
            where.Add("at >= $from", "$from", ToMicros(from));
        }

        if (query.To is { } to)
        {
            where.Add("at <= $to", "$to", ToMicros(to));
        }

        if (query.AfterSeq is { } after)
        {
            where.Add("seq > $after", "$after", after);
        }

        if (query.BeforeSeq is { } before)
        {
            where.Add("seq < $before", "$before", before);
        }

        if (query.Summary is { } summary)
        {
            where.Add("instr(lower(summary), lower($summary)) > 0", "$summary", summary);
        }

        if (query.Tag is { } tag)
        {
            // A rule's tag on the message, or one a person gave it.
            where.Add("(instr(tags, $tag) > 0 OR EXISTS (SELECT 1 FROM annotations a WHERE a.session_id = messages.session_id AND a.seq = messages.seq AND instr(a.tags, $tag) > 0))",
                "$tag", $",{tag},");
        }

        for (var i = 0; i < query.Patterns.Count; i++)
        {
            // instr() on two BLOBs compares bytes: this is how both text and hex patterns match.
            where.Add($"instr({Payload}, $p{i}) > 0", $"$p{i}", query.Patterns[i]);
        }

        command.CommandText = SelectMessages + where
            + (query.Descending ? " ORDER BY seq DESC" : " ORDER BY seq")
            + (query.Limit < int.MaxValue ? $" LIMIT {query.Limit}" : "");
        return command;
    }

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static T Parse<T>(string value)
        where T : struct, Enum => Enum.Parse<T>(value, ignoreCase: true);
}
