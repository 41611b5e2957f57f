using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.Rooms;
using Microsoft.Data.Sqlite;

namespace Grove.Server.Store.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in the data folder, WAL journal. The core's commit loop is the only writer
/// and commits many senders' messages in one transaction (group commit). With synchronous=NORMAL a commit is in the
/// WAL before it returns, so killing the process loses nothing committed; "full" also survives power loss.
/// Reads use their own pooled connections and may run on any thread.
/// </summary>
public sealed partial class SqliteMessageStore(string dataFolder, string synchronous = "normal") : IMessageStore
{
    public const string FileName = "grove.db";

    private SqliteConnection? _writer;
    private SqliteCheckpointer? _checkpointer;
    private SqliteCommand? _insertMessage, _upsertRoom;
    private string _readConnectionString = "";
    private volatile string? _problem;

    public string DatabasePath { get; } = Path.GetFullPath(Path.Combine(dataFolder, FileName));

    public void Open()
    {
        SQLitePCL.Batteries_V2.Init();
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"Cannot create the data folder {Path.GetDirectoryName(DatabasePath)}: {ex.Message} Choose another with --data.", ex);
        }
        AcquireLock();
        var existed = File.Exists(DatabasePath) && new FileInfo(DatabasePath).Length > 0;
        var builder = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true };
        _readConnectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        try
        {
            _writer = new SqliteConnection(builder.ToString());
            _writer.Open();
            Execute(_writer, "PRAGMA journal_mode=WAL;");
            Execute(_writer, $"PRAGMA synchronous={(synchronous.Equals("full", StringComparison.OrdinalIgnoreCase) ? "FULL" : "NORMAL")};");
            Execute(_writer, "PRAGMA busy_timeout=5000;");
            if (existed) CheckIntegrity(_writer);
            SqliteMigrations.Apply(_writer);
            // The log is copied into the database by a thread of its own, not inside a commit (SqliteCheckpointer).
            Execute(_writer, "PRAGMA wal_autocheckpoint=0;");
            Execute(_writer, "PRAGMA journal_size_limit=4194304;"); // a log that grew is cut back to 4 MB when it starts over
            _checkpointer = new SqliteCheckpointer(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString(), DatabasePath);
        }
        catch (Exception ex) when (ex is SqliteException or StoreException)
        {
            // Not started: the folder is left to whoever comes next.
            _checkpointer?.Dispose();
            _checkpointer = null;
            _writer?.Dispose();
            _writer = null;
            SqliteConnection.ClearAllPools();
            ReleaseLock();
            throw ex as StoreException ?? new StoreException(Explain((SqliteException)ex), ex);
        }
        _insertMessage = _writer.CreateCommand();
        _insertMessage.CommandText =
            "INSERT INTO messages (id, time, room, sender, recipient, pair, text, kind, sender_owner, recipient_owner, gates, gates_since) " +
            "VALUES ($id, $time, $room, $sender, $recipient, $pair, $text, $kind, $fromOwner, $toOwner, $gates, $gatesSince)";
        foreach (var p in new[] { "$id", "$time", "$room", "$sender", "$recipient", "$pair", "$text", "$kind", "$fromOwner", "$toOwner", "$gates", "$gatesSince" })
            _insertMessage.Parameters.Add(new SqliteParameter(p, null));
        _upsertRoom = _writer.CreateCommand();
        _upsertRoom.CommandText =
            "INSERT INTO rooms (key, name, topic, topic_set_by, topic_set_at, created_at) VALUES ($key, $name, $topic, $by, $at, $now) " +
            "ON CONFLICT(key) DO UPDATE SET topic = excluded.topic, topic_set_by = excluded.topic_set_by, topic_set_at = excluded.topic_set_at";
        foreach (var p in new[] { "$key", "$name", "$topic", "$by", "$at", "$now" })
            _upsertRoom.Parameters.Add(new SqliteParameter(p, null));
    }

    private string Explain(SqliteException ex) => ex.SqliteErrorCode switch
    {
        8 => $"The database {DatabasePath} is read-only. Make the data folder writable, or choose another with --data.",
        13 => $"The disk holding {DatabasePath} is full. Free some space, or choose another data folder with --data.",
        14 => $"Cannot open the database {DatabasePath}: the data folder is missing or not writable. Choose another with --data.",
        26 => $"{DatabasePath} is not a Grove database (or it is damaged).",
        _ => $"The database {DatabasePath} cannot be used: {ex.Message}",
    };

    public long LastMessageId()
    {
        using var c = ReadConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(MAX(id), 0) FROM messages";
        return (long)cmd.ExecuteScalar()!;
    }

    public void Commit(IReadOnlyList<StoredMessage> messages, IReadOnlyList<StoredRoom> rooms)
    {
        var writer = _writer ?? throw new InvalidOperationException("The store is not open.");
        try
        {
            Begin(writer);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var r in rooms)
            {
                var p = _upsertRoom!.Parameters;
                p[0].Value = NameRules.Fold(r.Name);
                p[1].Value = r.Name;
                p[2].Value = (object?)r.Topic ?? DBNull.Value;
                p[3].Value = (object?)r.TopicSetBy ?? DBNull.Value;
                p[4].Value = r.TopicSetAt is { } at ? at.ToUnixTimeMilliseconds() : DBNull.Value;
                p[5].Value = now;
                _upsertRoom.ExecuteNonQuery();
            }
            foreach (var m in messages)
            {
                var p = _insertMessage!.Parameters;
                p[0].Value = m.Id;
                p[1].Value = m.Time.ToUnixTimeMilliseconds();
                p[2].Value = (object?)m.Room ?? DBNull.Value;
                p[3].Value = m.From;
                p[4].Value = (object?)m.To ?? DBNull.Value;
                p[5].Value = m.To is null ? DBNull.Value : Pair(NameRules.Fold(m.From), NameRules.Fold(m.To));
                p[6].Value = m.Text;
                p[7].Value = (int)m.Kind;
                p[8].Value = (object?)m.FromOwner ?? DBNull.Value;
                p[9].Value = (object?)m.ToOwner ?? DBNull.Value;
                p[10].Value = (int)m.Gates;
                p[11].Value = m.GatesSince;
                _insertMessage.ExecuteNonQuery();
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

    // Transactions are plain BEGIN and COMMIT, not SqliteTransaction: on SQLITE_FULL (and I/O errors) SQLite has
    // already rolled back, so disposing a SqliteTransaction threw "no transaction is active" and left it attached to
    // the connection, which then refused every later transaction and threw again when closed.
    private static void Begin(SqliteConnection writer) => Execute(writer, "BEGIN IMMEDIATE;");

    /// <summary>A failed write: rolls back what SQLite did not, remembers the problem for /healthz.</summary>
    private StoreException Failed(SqliteConnection writer, Exception ex)
    {
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(writer.Handle) == 0) Execute(writer, "ROLLBACK;");
        }
        catch (SqliteException)
        {
            // Left open, the next BEGIN fails and comes here again to retry the rollback.
        }
        _problem = ex is SqliteException se ? Explain(se) : $"The database {DatabasePath} cannot be written: {ex.Message}";
        return new StoreException(_problem, ex);
    }

    /// <summary>One small write (the header's user_version, rewritten as it is): does the database take writes again?</summary>
    public bool ProbeWrite()
    {
        var writer = _writer ?? throw new InvalidOperationException("The store is not open.");
        try
        {
            Begin(writer);
            using (var cmd = writer.CreateCommand())
            {
                cmd.CommandText = "PRAGMA user_version;";
                var version = Convert.ToInt64(cmd.ExecuteScalar());
                cmd.CommandText = $"PRAGMA user_version = {version};";
                cmd.ExecuteNonQuery();
            }
            Execute(writer, "COMMIT;");
            _problem = null;
            return true;
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException)
        {
            throw Failed(writer, ex);
        }
    }

    public IReadOnlyList<StoredRoom> LoadRooms()
    {
        using var c = ReadConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name, topic, topic_set_by, topic_set_at FROM rooms ORDER BY key";
        using var r = cmd.ExecuteReader();
        var list = new List<StoredRoom>();
        while (r.Read())
            list.Add(new StoredRoom(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))));
        return list;
    }

    private const string Columns = "SELECT id, time, room, sender, recipient, text, kind, gates, gates_since FROM messages WHERE ";

    public IReadOnlyList<StoredMessage> RoomHistory(string roomKey, long beforeId, int limit, Admission? reader = null) =>
        Query(Columns + "room = $k AND " + Visible(reader) + " AND id < $before ORDER BY id DESC LIMIT $limit",
            roomKey, beforeId, limit, null, reader);

    public IReadOnlyList<StoredMessage> PrivateHistory(string nameKeyA, string nameKeyB, IReadOnlyList<string> owners, long beforeId, int limit) =>
        Query(Columns + "pair = $k AND " + OwnedBy(owners) + " AND id < $before ORDER BY id DESC LIMIT $limit",
            Pair(nameKeyA, nameKeyB), beforeId, limit, owners, null);

    /// <summary>The condition "the reader may see it" (<see cref="Admission.MaySee"/>) over $gates and $since.</summary>
    private static string Visible(Admission? reader) => reader is null
        ? "gates = 0"
        : "(gates = 0 OR id > $joined OR gates_since = $since AND (gates & ~$gates) = 0)";

    private static void AddReader(SqliteCommand cmd, Admission? reader)
    {
        if (reader is null) return;
        cmd.Parameters.AddWithValue("$gates", (int)reader.Gates);
        cmd.Parameters.AddWithValue("$since", reader.GatesSince);
        cmd.Parameters.AddWithValue("$joined", reader.JoinedAfterId);
    }

    private static StoredMessage Row(SqliteDataReader r) =>
        new(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
            r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), (MessageKind)r.GetInt32(6)) { Gates = (RoomGates)r.GetInt32(7), GatesSince = r.GetInt64(8) };

    /// <summary>The condition "sent or received by one of the owners" over parameters $o0, $o1, …; false for none.</summary>
    private static string OwnedBy(IReadOnlyList<string>? owners)
    {
        if (owners is not { Count: > 0 }) return "0";
        var list = string.Join(", ", Enumerable.Range(0, owners.Count).Select(i => "$o" + i));
        return $"(sender_owner IN ({list}) OR recipient_owner IN ({list}))";
    }

    private static void AddOwners(SqliteCommand cmd, IReadOnlyList<string>? owners)
    {
        for (var i = 0; owners is not null && i < owners.Count; i++) cmd.Parameters.AddWithValue("$o" + i, owners[i]);
    }

    private List<StoredMessage> Query(string sql, string key, long beforeId, int limit, IReadOnlyList<string>? owners, Admission? reader)
    {
        using var c = ReadConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        AddOwners(cmd, owners);
        AddReader(cmd, reader);
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$before", beforeId);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredMessage>();
        while (r.Read()) list.Add(Row(r));
        list.Reverse();
        return list;
    }

    public IReadOnlyList<StoredMessage> Range(HistoryRange r)
    {
        using var c = ReadConnection();
        using var cmd = c.CreateCommand();
        var sql = new System.Text.StringBuilder(Columns);
        if (r.RoomKey is not null)
        {
            sql.Append("room = $k AND ").Append(Visible(r.Reader));
            cmd.Parameters.AddWithValue("$k", r.RoomKey);
            AddReader(cmd, r.Reader);
        }
        else
        {
            sql.Append("pair = $k AND ").Append(OwnedBy(r.Owners));
            cmd.Parameters.AddWithValue("$k", Pair(r.NameA!, r.NameB!));
            AddOwners(cmd, r.Owners);
        }
        if (r.AfterId is { } a) { sql.Append(" AND id > $aid"); cmd.Parameters.AddWithValue("$aid", a); }
        if (r.BeforeId is { } b) { sql.Append(" AND id < $bid"); cmd.Parameters.AddWithValue("$bid", b); }
        if (r.After is { } at) { sql.Append(" AND time > $at"); cmd.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds()); }
        if (r.Before is { } bt) { sql.Append(" AND time < $bt"); cmd.Parameters.AddWithValue("$bt", bt.ToUnixTimeMilliseconds()); }
        sql.Append(r.NewestFirst ? " ORDER BY id DESC" : " ORDER BY id ASC").Append(" LIMIT $limit");
        cmd.Parameters.AddWithValue("$limit", r.Limit);
        cmd.CommandText = sql.ToString();
        var list = new List<StoredMessage>();
        using (var reader = cmd.ExecuteReader())
            while (reader.Read()) list.Add(Row(reader));
        if (r.NewestFirst) list.Reverse();
        return list;
    }

    public IReadOnlyList<ConversationSummary> Conversations(IReadOnlyList<string> owners, IReadOnlyCollection<string> roomKeys, DateTimeOffset from, DateTimeOffset to, int limit)
    {
        using var c = ReadConnection();
        var result = new List<ConversationSummary>();
        if (owners.Count > 0)
        {
            using var cmd = c.CreateCommand();
            // Private conversations the owners had; the other person is the target.
            var mine = string.Join(", ", Enumerable.Range(0, owners.Count).Select(i => "$o" + i));
            cmd.CommandText = $"SELECT pair, MAX(time), MAX(CASE WHEN sender_owner IN ({mine}) THEN recipient ELSE sender END) FROM messages " +
                              $"WHERE pair IS NOT NULL AND {OwnedBy(owners)} AND time > $from AND time < $to GROUP BY pair";
            AddOwners(cmd, owners);
            cmd.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$to", to.ToUnixTimeMilliseconds());
            using var r = cmd.ExecuteReader();
            while (r.Read()) result.Add(new ConversationSummary(r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1))));
        }
        foreach (var room in roomKeys)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT MAX(time) FROM messages WHERE room = $k AND time > $from AND time < $to";
            cmd.Parameters.AddWithValue("$k", room);
            cmd.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$to", to.ToUnixTimeMilliseconds());
            if (cmd.ExecuteScalar() is long t) result.Add(new ConversationSummary(room, DateTimeOffset.FromUnixTimeMilliseconds(t)));
        }
        return result.OrderByDescending(x => x.Latest).Take(limit).ToList();
    }

    /// <summary>The key of a private conversation: both folded names in order (a space cannot occur in a name).</summary>
    internal static string Pair(string a, string b) => string.CompareOrdinal(a, b) <= 0 ? $"{a} {b}" : $"{b} {a}";

    public bool IsHealthy(out string? problem)
    {
        problem = _problem;
        return problem is null;
    }

    private SqliteConnection ReadConnection()
    {
        var c = new SqliteConnection(_readConnectionString);
        c.Open();
        return c;
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>The background checkpoints (for tests).</summary>
    internal SqliteCheckpointer? Checkpointer => _checkpointer;

    // Whatever state the store is in (a full disk, a failed commit), closing it never throws: the process must exit 0.
    public void Dispose()
    {
        try
        {
            Close();
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            // What was not copied from the journal stays in it; SQLite reads it back at the next start.
        }
        ReleaseLock();
    }

    private void Close()
    {
        _checkpointer?.Dispose();
        _checkpointer = null;
        // Everything into the database file itself, and the journal emptied: a stopped server's grove.db is then a
        // complete copy (the journal used to keep the last commits, since a read-only connection closes last and
        // cannot remove it).
        SqliteConnection.ClearAllPools();
        if (_writer is not null)
        {
            try
            {
                Execute(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
            }
            catch (SqliteException)
            {
                // The journal keeps what is not copied; SQLite reads it back at the next start.
            }
        }
        _insertMessage?.Dispose();
        _upsertRoom?.Dispose();
        _writer?.Dispose();
        _writer = null;
        SqliteConnection.ClearAllPools();
    }
}
