using System.Text.Json;
using Grove.Core.Accounts;
using Grove.Core.History;
using Microsoft.Data.Sqlite;

namespace Grove.Server.Store.Sqlite;

// Accounts, registered rooms, the audit log and web tokens (schema step 3). Written by the commit loop only.
public sealed partial class SqliteMessageStore
{
    public void CommitChanges(StoreChanges changes)
    {
        var writer = _writer ?? throw new InvalidOperationException("The store is not open.");
        try
        {
            Begin(writer);
            foreach (var a in changes.Accounts)
                Run(writer, "INSERT INTO accounts (key, name, password, created_at) VALUES ($1, $2, $3, $4) " +
                    "ON CONFLICT(key) DO UPDATE SET name = excluded.name, password = excluded.password",
                    a.Key, a.Name, a.PasswordHash, a.CreatedAt.ToUnixTimeMilliseconds());
            foreach (var r in changes.RoomSettings)
                Run(writer, "INSERT INTO room_settings (key, name, owner, modes, password, user_limit, bans, mutes, operators, voices, registered_at) " +
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT(key) DO UPDATE SET name = excluded.name, owner = excluded.owner, " +
                    "modes = excluded.modes, password = excluded.password, user_limit = excluded.user_limit, bans = excluded.bans, " +
                    "mutes = excluded.mutes, operators = excluded.operators, voices = excluded.voices",
                    r.Key, r.Name, r.Owner, r.Modes, r.Password, r.Limit, Json(r.Bans), Json(r.Mutes), Json(r.Operators), Json(r.Voices),
                    r.RegisteredAt.ToUnixTimeMilliseconds());
            foreach (var e in changes.Audit)
                Run(writer, "INSERT INTO audit (time, actor, action, room, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
                    e.Time.ToUnixTimeMilliseconds(), e.Actor, e.Action, e.Room, e.Target, e.Detail);
            foreach (var t in changes.Tokens)
                Run(writer, "INSERT OR REPLACE INTO tokens (key, account, created_at) VALUES ($1, $2, $3)",
                    t.Key, t.Account, t.CreatedAt.ToUnixTimeMilliseconds());
            foreach (var key in changes.TokensRevoked) Run(writer, "DELETE FROM tokens WHERE key = $1", key);
            if (changes.ServerBans is { } bans)
            {
                Run(writer, "DELETE FROM server_bans");
                foreach (var mask in bans) Run(writer, "INSERT OR IGNORE INTO server_bans (mask) VALUES ($1)", mask);
            }
            Execute(writer, "COMMIT;");
            _checkpointer?.Committed(writer);
            _problem = null;
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException)
        {
            throw Failed(writer, ex);
        }
    }

    public StoredState LoadState()
    {
        using var c = ReadConnection();
        var accounts = new List<StoredAccount>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT key, name, password, created_at FROM accounts";
            using var r = cmd.ExecuteReader();
            while (r.Read()) accounts.Add(new StoredAccount(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))));
        }
        var rooms = new List<StoredRoomSettings>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT key, name, owner, modes, password, user_limit, bans, mutes, operators, voices, registered_at FROM room_settings";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                rooms.Add(new StoredRoomSettings(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                    r.GetInt32(5), List(r.GetString(6)), List(r.GetString(7)), List(r.GetString(8)), List(r.GetString(9)),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10))));
        }
        var tokens = new List<StoredToken>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT key, account, created_at FROM tokens";
            using var r = cmd.ExecuteReader();
            while (r.Read()) tokens.Add(new StoredToken(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
        }
        var bans = new List<string>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT mask FROM server_bans ORDER BY mask";
            using var r = cmd.ExecuteReader();
            while (r.Read()) bans.Add(r.GetString(0));
        }
        return new StoredState(accounts, rooms, tokens, bans);
    }

    public IReadOnlyList<AuditEntry> ReadAudit(string? roomKey, int limit)
    {
        using var c = ReadConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = roomKey is null
            ? "SELECT time, actor, action, room, target, detail FROM audit ORDER BY id DESC LIMIT $limit"
            : "SELECT time, actor, action, room, target, detail FROM audit WHERE room = $room ORDER BY id DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", limit);
        if (roomKey is not null) cmd.Parameters.AddWithValue("$room", roomKey);
        using var r = cmd.ExecuteReader();
        var list = new List<AuditEntry>();
        while (r.Read())
            list.Add(new AuditEntry(DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)), r.GetString(1), r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)));
        return list;
    }

    private static void Run(SqliteConnection c, string sql, params object?[] values)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        for (var i = 0; i < values.Length; i++) cmd.Parameters.AddWithValue($"${i + 1}", values[i] ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    private static string Json(IReadOnlyList<string> list) => JsonSerializer.Serialize(list, StoreJson.Default.IReadOnlyListString);
    private static IReadOnlyList<string> List(string json) => JsonSerializer.Deserialize(json, StoreJson.Default.IReadOnlyListString) ?? [];
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class StoreJson : System.Text.Json.Serialization.JsonSerializerContext;
