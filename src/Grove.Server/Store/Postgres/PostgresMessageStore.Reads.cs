using Grove.Core.History;
using Grove.Core.Rooms;
using Npgsql;
using NpgsqlTypes;

namespace Grove.Server.Store.Postgres;

// History reads: the same questions as the SQLite store asks, in PostgreSQL's words (owners as one array parameter).
public sealed partial class PostgresMessageStore
{
    private const string Columns = "SELECT id, time, room, sender, recipient, text, kind, gates, gates_since FROM messages WHERE ";

    public IReadOnlyList<StoredRoom> LoadRooms() => Read(c =>
    {
        using var cmd = new NpgsqlCommand("SELECT name, topic, topic_set_by, topic_set_at FROM rooms ORDER BY key COLLATE \"C\"", c);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredRoom>();
        while (r.Read())
            list.Add(new StoredRoom(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))));
        return list;
    });

    public IReadOnlyList<StoredMessage> RoomHistory(string roomKey, long beforeId, int limit, Admission? reader = null) =>
        Range(new HistoryRange(roomKey, null, null, limit, NewestFirst: true) { Reader = reader, BeforeId = beforeId });

    public IReadOnlyList<StoredMessage> PrivateHistory(string nameKeyA, string nameKeyB, IReadOnlyList<string> owners, long beforeId, int limit) =>
        Range(new HistoryRange(null, nameKeyA, nameKeyB, limit, NewestFirst: true) { Owners = owners, BeforeId = beforeId });

    /// <summary>The condition "the reader may see it" (<see cref="Admission.MaySee"/>).</summary>
    private static string Visible(NpgsqlCommand cmd, Admission? reader)
    {
        if (reader is null) return "gates = 0";
        cmd.Parameters.AddWithValue("gates", (int)reader.Gates);
        cmd.Parameters.AddWithValue("since", reader.GatesSince);
        cmd.Parameters.AddWithValue("joined", reader.JoinedAfterId);
        return "(gates = 0 OR id > @joined OR gates_since = @since AND (gates & ~@gates) = 0)";
    }

    /// <summary>The condition "sent or received by one of the owners"; false for none.</summary>
    private static string OwnedBy(NpgsqlCommand cmd, IReadOnlyList<string>? owners)
    {
        if (owners is not { Count: > 0 }) return "false";
        cmd.Parameters.Add(new NpgsqlParameter("owners", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = owners.ToArray() });
        return "(sender_owner = ANY(@owners) OR recipient_owner = ANY(@owners))";
    }

    private static StoredMessage Row(NpgsqlDataReader r) =>
        new(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
            r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), (Grove.Core.Events.MessageKind)r.GetInt32(6))
        { Gates = (RoomGates)r.GetInt32(7), GatesSince = r.GetInt64(8) };

    public IReadOnlyList<StoredMessage> Range(HistoryRange r) => Read(c =>
    {
        using var cmd = new NpgsqlCommand { Connection = c };
        var sql = new System.Text.StringBuilder(Columns);
        if (r.RoomKey is not null)
        {
            sql.Append("room = @k AND ").Append(Visible(cmd, r.Reader));
            cmd.Parameters.AddWithValue("k", r.RoomKey);
        }
        else
        {
            sql.Append("pair = @k AND ").Append(OwnedBy(cmd, r.Owners));
            cmd.Parameters.AddWithValue("k", Sqlite.SqliteMessageStore.Pair(r.NameA!, r.NameB!));
        }
        if (r.AfterId is { } a) { sql.Append(" AND id > @aid"); cmd.Parameters.AddWithValue("aid", a); }
        if (r.BeforeId is { } b) { sql.Append(" AND id < @bid"); cmd.Parameters.AddWithValue("bid", b); }
        if (r.After is { } at) { sql.Append(" AND time > @at"); cmd.Parameters.AddWithValue("at", at.ToUnixTimeMilliseconds()); }
        if (r.Before is { } bt) { sql.Append(" AND time < @bt"); cmd.Parameters.AddWithValue("bt", bt.ToUnixTimeMilliseconds()); }
        sql.Append(r.NewestFirst ? " ORDER BY id DESC" : " ORDER BY id ASC").Append(" LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", (long)Math.Max(0, r.Limit));
        cmd.CommandText = sql.ToString();
        var list = new List<StoredMessage>();
        using (var reader = cmd.ExecuteReader())
            while (reader.Read()) list.Add(Row(reader));
        if (r.NewestFirst) list.Reverse();
        return list;
    });

    public IReadOnlyList<ConversationSummary> Conversations(IReadOnlyList<string> owners, IReadOnlyCollection<string> roomKeys, DateTimeOffset from, DateTimeOffset to, int limit) => Read(c =>
    {
        var result = new List<ConversationSummary>();
        if (owners.Count > 0)
        {
            using var cmd = new NpgsqlCommand { Connection = c };
            // Private conversations the owners had; the other person is the target.
            var owned = OwnedBy(cmd, owners);
            cmd.CommandText = "SELECT pair, MAX(time), MAX(CASE WHEN sender_owner = ANY(@owners) THEN recipient ELSE sender END COLLATE \"C\") FROM messages " +
                              $"WHERE pair IS NOT NULL AND {owned} AND time > @from AND time < @to GROUP BY pair";
            cmd.Parameters.AddWithValue("from", from.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("to", to.ToUnixTimeMilliseconds());
            using var r = cmd.ExecuteReader();
            while (r.Read()) result.Add(new ConversationSummary(r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1))));
        }
        if (roomKeys.Count > 0)
        {
            using var cmd = new NpgsqlCommand("SELECT room, MAX(time) FROM messages WHERE room = ANY(@rooms) AND time > @from AND time < @to GROUP BY room", c);
            cmd.Parameters.Add(new NpgsqlParameter("rooms", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = roomKeys.ToArray() });
            cmd.Parameters.AddWithValue("from", from.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("to", to.ToUnixTimeMilliseconds());
            using var r = cmd.ExecuteReader();
            while (r.Read()) result.Add(new ConversationSummary(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1))));
        }
        return (IReadOnlyList<ConversationSummary>)result.OrderByDescending(x => x.Latest).Take(limit).ToList();
    });
}
