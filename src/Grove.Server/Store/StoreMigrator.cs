using System.Text.Json;
using Grove.Core.History;
using Grove.Server.Store.Postgres;
using Grove.Server.Store.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Grove.Server.Store;

/// <summary>How many rows `grove migrate` copied, table by table.</summary>
public sealed record MigrationCounts(long Messages, long Rooms, long Accounts, long RegisteredRooms, long AuditEntries, long Tokens, long ServerBans)
{
    public override string ToString() =>
        $"{Count(Messages, "message")}, {Count(Rooms, "room")}, {Count(Accounts, "account")}, {Count(RegisteredRooms, "registered room")}, " +
        $"{Count(AuditEntries, "audit entry", "audit entries")}, {Count(Tokens, "web session token")}, {Count(ServerBans, "server ban")}";

    private static string Count(long n, string one, string? many = null) => n == 1 ? $"1 {one}" : $"{n:N0} {many ?? one + "s"}";
}

/// <summary>
/// `grove migrate`: copies a stopped server's SQLite data folder into an empty PostgreSQL database, every table in
/// one transaction (all of it or nothing), rows with binary COPY. The source is opened as the server opens it
/// (its lock: a running server's folder is refused; older schemas are brought up to date first).
/// </summary>
public static class StoreMigrator
{
    // Table, SQLite select, PostgreSQL columns, and each column's kind: l bigint, i integer, t text, a text[] (JSON in SQLite).
    private static readonly (string Table, string Select, string Columns, string Kinds)[] Tables =
    [
        ("messages", "SELECT id, time, room, sender, recipient, pair, text, kind, sender_owner, recipient_owner, gates, gates_since FROM messages ORDER BY id",
            "id, time, room, sender, recipient, pair, text, kind, sender_owner, recipient_owner, gates, gates_since", "lltttttittil"),
        ("rooms", "SELECT key, name, topic, topic_set_by, topic_set_at, created_at FROM rooms", "key, name, topic, topic_set_by, topic_set_at, created_at", "ttttll"),
        ("accounts", "SELECT key, name, password, created_at FROM accounts", "key, name, password, created_at", "tttl"),
        ("room_settings", "SELECT key, name, owner, modes, password, user_limit, bans, mutes, operators, voices, registered_at FROM room_settings",
            "key, name, owner, modes, password, user_limit, bans, mutes, operators, voices, registered_at", "tttttiaaaal"),
        ("audit", "SELECT id, time, actor, action, room, target, detail FROM audit ORDER BY id", "id, time, actor, action, room, target, detail", "llttttt"),
        ("tokens", "SELECT key, account, created_at FROM tokens", "key, account, created_at", "ttl"),
        ("server_bans", "SELECT mask FROM server_bans", "mask", "t"),
    ];

    /// <summary>Copies everything; throws <see cref="StoreException"/> with a sentence for a person (then nothing is copied).</summary>
    public static MigrationCounts Copy(string dataFolder, string connectionString)
    {
        var folder = Path.GetFullPath(dataFolder);
        if (!File.Exists(Path.Combine(folder, SqliteMessageStore.FileName)))
            throw new StoreException($"There is no Grove database in {folder} (no {SqliteMessageStore.FileName}): give the data folder of a Grove server with --from.");
        using var source = new SqliteMessageStore(folder);
        source.Open();
        using var target = new PostgresMessageStore(connectionString, "grove-migrate");
        target.Open();
        try
        {
            using var from = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = source.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            from.Open();
            using var to = new NpgsqlConnection(connectionString);
            to.Open();
            using var tx = to.BeginTransaction();
            RefuseUnlessEmpty(to, target.Where);
            var counts = Tables.Select(t => CopyTable(from, to, t.Table, t.Select, t.Columns, t.Kinds)).ToArray();
            using (var cmd = new NpgsqlCommand(
                "SELECT setval(pg_get_serial_sequence('audit', 'id'), GREATEST((SELECT MAX(id) FROM audit), 1), (SELECT MAX(id) FROM audit) IS NOT NULL); " +
                "DELETE FROM nodes WHERE name = 'grove-migrate'", to, tx))
                cmd.ExecuteNonQuery();
            tx.Commit();
            return new MigrationCounts(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6]);
        }
        catch (Exception ex) when (ex is NpgsqlException or SqliteException or InvalidOperationException or TimeoutException)
        {
            throw new StoreException(ex is SqliteException se ? $"Cannot read {source.DatabasePath}: {se.Message}" : target.Explain(ex), ex);
        }
    }

    private static void RefuseUnlessEmpty(NpgsqlConnection to, string where)
    {
        var held = new List<string>();
        foreach (var (table, _, _, _) in Tables)
        {
            using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {table}", to);
            var n = Convert.ToInt64(cmd.ExecuteScalar());
            if (n > 0) held.Add($"{n:N0} in {table}");
        }
        if (held.Count > 0)
            throw new StoreException($"The PostgreSQL {where} is not empty ({string.Join(", ", held)}): grove migrate copies only into a new database. Create one (createdb) and give it with --to.");
    }

    private static long CopyTable(SqliteConnection from, NpgsqlConnection to, string table, string select, string columns, string kinds)
    {
        using var cmd = from.CreateCommand();
        cmd.CommandText = select;
        using var r = cmd.ExecuteReader();
        using var w = to.BeginBinaryImport($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)");
        long rows = 0;
        while (r.Read())
        {
            w.StartRow();
            for (var i = 0; i < kinds.Length; i++)
            {
                if (r.IsDBNull(i)) { w.WriteNull(); continue; }
                switch (kinds[i])
                {
                    case 'l': w.Write(r.GetInt64(i), NpgsqlDbType.Bigint); break;
                    case 'i': w.Write(r.GetInt32(i), NpgsqlDbType.Integer); break;
                    // PostgreSQL's text cannot hold NUL; every door shows it as a space anyway.
                    case 't': w.Write(r.GetString(i).Replace('\0', ' '), NpgsqlDbType.Text); break;
                    default:
                        var list = JsonSerializer.Deserialize(r.GetString(i), StoreJson.Default.IReadOnlyListString) ?? [];
                        w.Write(list.Select(x => x.Replace('\0', ' ')).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
                        break;
                }
            }
            rows++;
        }
        w.Complete();
        return rows;
    }
}
