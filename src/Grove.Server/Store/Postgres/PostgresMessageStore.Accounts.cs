using Grove.Core.Accounts;
using Npgsql;

namespace Grove.Server.Store.Postgres;

// Accounts, registered rooms, the audit log, web tokens and server bans. Written by the commit loop only, in the
// order the SQLite store writes them, as one batch (one implicit transaction).
public sealed partial class PostgresMessageStore
{
    public void CommitChanges(StoreChanges changes) => Write(w =>
    {
        using var batch = new NpgsqlBatch(w);
        AddChanges(batch, changes);
        if (batch.BatchCommands.Count > 0) batch.ExecuteNonQuery();
    });

    /// <summary>The statements that store these changes, added to a batch.</summary>
    private static void AddChanges(NpgsqlBatch batch, StoreChanges changes)
    {
        foreach (var a in changes.Accounts)
            Add(batch, "INSERT INTO accounts (key, name, password, created_at) VALUES ($1, $2, $3, $4) " +
                "ON CONFLICT (key) DO UPDATE SET name = excluded.name, password = excluded.password",
                a.Key, a.Name, a.PasswordHash, a.CreatedAt.ToUnixTimeMilliseconds());
        foreach (var r in changes.RoomSettings)
            Add(batch, "INSERT INTO room_settings (key, name, owner, modes, password, user_limit, bans, mutes, operators, voices, registered_at) " +
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (key) DO UPDATE SET name = excluded.name, owner = excluded.owner, " +
                "modes = excluded.modes, password = excluded.password, user_limit = excluded.user_limit, bans = excluded.bans, " +
                "mutes = excluded.mutes, operators = excluded.operators, voices = excluded.voices",
                r.Key, r.Name, r.Owner, r.Modes, r.Password, r.Limit, r.Bans.ToArray(), r.Mutes.ToArray(), r.Operators.ToArray(), r.Voices.ToArray(),
                r.RegisteredAt.ToUnixTimeMilliseconds());
        foreach (var e in changes.Audit)
            Add(batch, "INSERT INTO audit (time, actor, action, room, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
                e.Time.ToUnixTimeMilliseconds(), e.Actor, e.Action, e.Room, e.Target, Text(e.Detail));
        foreach (var t in changes.Tokens)
            Add(batch, "INSERT INTO tokens (key, account, created_at) VALUES ($1, $2, $3) " +
                "ON CONFLICT (key) DO UPDATE SET account = excluded.account, created_at = excluded.created_at",
                t.Key, t.Account, t.CreatedAt.ToUnixTimeMilliseconds());
        foreach (var key in changes.TokensRevoked) Add(batch, "DELETE FROM tokens WHERE key = $1", key);
        if (changes.ServerBans is { } bans)
        {
            Add(batch, "DELETE FROM server_bans");
            Add(batch, "INSERT INTO server_bans (mask) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING", (object)bans.ToArray());
        }
    }

    private static void Add(NpgsqlBatch batch, string sql, params object?[] values)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        // Any text may carry a NUL from a web client (a room key, a ban mask, a reason), which PostgreSQL's text refuses.
        foreach (var v in values)
            cmd.Parameters.Add(new NpgsqlParameter { Value = v switch { null => DBNull.Value, string t => Text(t), string[] a => a.Select(Text).ToArray(), _ => v } });
        batch.BatchCommands.Add(cmd);
    }

    public StoredState LoadState() => Read(c =>
    {
        var accounts = new List<StoredAccount>();
        using (var cmd = new NpgsqlCommand("SELECT key, name, password, created_at FROM accounts", c))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) accounts.Add(new StoredAccount(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))));
        var rooms = new List<StoredRoomSettings>();
        using (var cmd = new NpgsqlCommand("SELECT key, name, owner, modes, password, user_limit, bans, mutes, operators, voices, registered_at FROM room_settings", c))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                rooms.Add(new StoredRoomSettings(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                    r.GetInt32(5), r.GetFieldValue<string[]>(6), r.GetFieldValue<string[]>(7), r.GetFieldValue<string[]>(8), r.GetFieldValue<string[]>(9),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10))));
        var tokens = new List<StoredToken>();
        using (var cmd = new NpgsqlCommand("SELECT key, account, created_at FROM tokens", c))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) tokens.Add(new StoredToken(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
        var bans = new List<string>();
        using (var cmd = new NpgsqlCommand("SELECT mask FROM server_bans ORDER BY mask COLLATE \"C\"", c))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) bans.Add(r.GetString(0));
        return new StoredState(accounts, rooms, tokens, bans);
    });

    public IReadOnlyList<AuditEntry> ReadAudit(string? roomKey, int limit) => Read(c =>
    {
        using var cmd = new NpgsqlCommand(roomKey is null
            ? "SELECT time, actor, action, room, target, detail FROM audit ORDER BY id DESC LIMIT @limit"
            : "SELECT time, actor, action, room, target, detail FROM audit WHERE room = @room ORDER BY id DESC LIMIT @limit", c);
        cmd.Parameters.AddWithValue("limit", (long)limit);
        if (roomKey is not null) cmd.Parameters.AddWithValue("room", roomKey);
        using var r = cmd.ExecuteReader();
        var list = new List<AuditEntry>();
        while (r.Read())
            list.Add(new AuditEntry(DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)), r.GetString(1), r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)));
        return (IReadOnlyList<AuditEntry>)list;
    });
}
