using System.Net.Sockets;
using Grove.Core.History;
using Grove.Core.Names;
using Npgsql;

namespace Grove.Server.Store.Postgres;

/// <summary>
/// The store on PostgreSQL (--store postgres). The core's commit loop is the only writer: a group commit is one
/// round trip (an Npgsql batch, which PostgreSQL runs as one implicit transaction), its messages inserted from arrays
/// (unnest), so a commit costs the same few statements whatever its size. Reads use pooled connections of their own.
/// While PostgreSQL is away every write throws a <see cref="StoreException"/> saying so; the commit loop refuses the
/// messages and probes (<see cref="ProbeWrite"/>) until a fresh connection takes a write again.
/// Every node of a cluster writes through its own store; the cluster's log is PostgresMessageStore.Cluster.cs.
/// </summary>
public sealed partial class PostgresMessageStore(string connectionString, string nodeName = "grove") : IMessageStore, Grove.Core.Cluster.IClusterLog
{
    private NpgsqlDataSource? _source, _writerSource;
    private NpgsqlConnection? _writer;
    private volatile string? _problem;

    public string NodeName { get; } = nodeName;

    /// <summary>"database grove on 127.0.0.1:5432", for messages to people (never the password).</summary>
    public string Where { get; private set; } = "PostgreSQL";
    private string _database = "grove"; // named in the createdb a missing database needs

    /// <summary>The operator's connection string with Grove's defaults where it says nothing.</summary>
    internal static NpgsqlConnectionStringBuilder Settings(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            var why = System.Text.RegularExpressions.Regex.Replace(ex.Message, @" \(Parameter '[^']*'\)$", "").TrimEnd('.');
            throw new StoreException($"The PostgreSQL connection string is not valid: {why}. Write it as \"Host=…;Database=grove;Username=…;Password=…\".", ex);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new StoreException("The PostgreSQL connection string names no Host; write it as \"Host=…;Database=grove;Username=…;Password=…\".");
        // Short waits: the commit loop holds everyone's messages while it waits, and refusing them is better. Only where
        // the string says nothing: a "Timeout=15" written out is the operator's choice, though it is Npgsql's default.
        if (!Names(connectionString, "Timeout")) builder.Timeout = 5;
        if (!Names(connectionString, "CommandTimeout")) builder.CommandTimeout = 15;
        // The same few statements run hundreds of times a second (a cluster's appends, reads and materializing):
        // prepared once per connection, PostgreSQL parses and plans them once (this halved its CPU in the cluster bench).
        // "Max Auto Prepare=0" named by the operator keeps it off (a pooler in transaction mode cannot keep them).
        if (!Names(connectionString, "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 32;
            builder.AutoPrepareMinUsages = 2;
        }
        return builder;
    }

    // Whether the operator's connection string sets this key at all, spelled with spaces or not (Npgsql's builder
    // cannot tell a key set to its default from one left out).
    private static bool Names(string connectionString, string key) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), key, StringComparison.OrdinalIgnoreCase));

    public void Open()
    {
        var builder = Settings(connectionString);
        _applicationName = builder.ApplicationName ??= $"grove node {NodeName}";
        _database = builder.Database ?? builder.Username ?? "grove";
        Where = $"database {builder.Database ?? builder.Username} on {builder.Host}{(builder.Host!.StartsWith('/') ? "" : ":" + builder.Port)}";
        _source = NpgsqlDataSource.Create(builder);
        // The writer's session is its own: never pooled, so that closing it ends the session.
        _writerSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false });
        try
        {
            var w = OpenWriter();
            PostgresMigrations.Apply(w);
            using var cmd = w.CreateCommand();
            cmd.CommandText = "INSERT INTO nodes (name, started_at, seen_at) VALUES (@n, @t, @t) ON CONFLICT (name) DO UPDATE SET started_at = @t, seen_at = @t";
            cmd.Parameters.AddWithValue("n", NodeName);
            cmd.Parameters.AddWithValue("t", Now());
            cmd.ExecuteNonQuery();
        }
        catch (Exception ex) when (ex is NpgsqlException or StoreException or InvalidOperationException or TimeoutException)
        {
            Dispose();
            throw ex as StoreException ?? new StoreException(Explain(ex), ex);
        }
    }

    /// <summary>The writer connection, opened (with the node's lock) when there is none.</summary>
    private NpgsqlConnection OpenWriter()
    {
        if (_writer is { State: System.Data.ConnectionState.Open } open) return open;
        DropWriter();
        var c = _writerSource!.OpenConnection();
        _writer = c;
        return c;
    }

    private string _applicationName = "";

    private void DropWriter()
    {
        try { _writer?.Dispose(); } catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException) { }
        _writer = null;
    }

    /// <summary>A sentence a person can act on, for a failure to reach or use PostgreSQL.</summary>
    internal string Explain(Exception ex)
    {
        if (ex is StoreException) return ex.Message;
        if (ex is PostgresException pg)
            return pg.SqlState switch
            {
                "28P01" or "28000" => $"PostgreSQL refused the login to {Where}: wrong user name or password. Check Username and Password in --postgres.",
                "3D000" => $"The PostgreSQL {Where} does not exist. Create it first (createdb {_database}; see \"Running on PostgreSQL\" in docs/operations.md).",
                "42501" => $"The PostgreSQL user may not create or use Grove's tables in the {Where}: make it the database's owner (ALTER DATABASE … OWNER TO …).",
                "57P01" or "57P02" or "57P03" => $"PostgreSQL ({Where}) is shutting down or starting up; try again in a moment.",
                "53100" => $"The disk of PostgreSQL ({Where}) is full.",
                _ => $"PostgreSQL ({Where}) refused a write: {pg.MessageText}",
            };
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException se)
                return se.SocketErrorCode == SocketError.ConnectionRefused
                    ? $"Cannot reach PostgreSQL ({Where}): connection refused. Is it running, and are Host and Port in --postgres right?"
                    : $"Cannot reach PostgreSQL ({Where}): {se.Message}.";
            if (e is TimeoutException)
                return $"Cannot reach PostgreSQL ({Where}): no answer in time.";
        }
        return $"PostgreSQL ({Where}) cannot be used: {ex.Message}";
    }

    public long LastMessageId() => Read(c =>
    {
        using var cmd = new NpgsqlCommand("SELECT COALESCE(MAX(id), 0) FROM messages", c);
        return Convert.ToInt64(cmd.ExecuteScalar());
    });

    public void Commit(IReadOnlyList<StoredMessage> messages, IReadOnlyList<StoredRoom> rooms) =>
        Write(w => CommitBatch(w, messages, rooms), alreadyStoredOnConflict: messages.Count > 0);

    private static void CommitBatch(NpgsqlConnection w, IReadOnlyList<StoredMessage> messages, IReadOnlyList<StoredRoom> rooms)
    {
        using var batch = new NpgsqlBatch(w);
        if (rooms.Count > 0) batch.BatchCommands.Add(InsertRooms(rooms.Select(static r => (r, 0L)), afterMark: false));
        if (messages.Count > 0) batch.BatchCommands.Add(InsertMessages(messages, blocks: null));
        batch.ExecuteNonQuery();
    }

    // A materializing node writes only the rows of blocks past the cluster's mark (PostgresMessageStore.Cluster.cs).
    private const string PastTheMark = "WHERE u.block > (SELECT materialized FROM cluster WHERE id = 1)";

    /// <summary>
    /// The upsert of these rooms' rows from arrays (unnest), one row per room (the last change wins: an upsert may not
    /// touch one row twice in a statement); with <paramref name="afterMark"/>, only those whose block is past the mark.
    /// </summary>
    private static NpgsqlBatchCommand InsertRooms(IEnumerable<(StoredRoom Room, long Block)> rooms, bool afterMark)
    {
        var last = new Dictionary<string, (StoredRoom Room, long Block)>(StringComparer.Ordinal);
        foreach (var r in rooms) last[NameRules.Fold(r.Room.Name)] = r;
        var list = last.ToList();
        var cmd = new NpgsqlBatchCommand(
            "INSERT INTO rooms (key, name, topic, topic_set_by, topic_set_at, created_at) " +
            "SELECT k, n, t, b, a, $7 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS u(k, n, t, b, a, block) " +
            (afterMark ? PastTheMark + " " : "") +
            "ON CONFLICT (key) DO UPDATE SET topic = excluded.topic, topic_set_by = excluded.topic_set_by, topic_set_at = excluded.topic_set_at");
        cmd.Parameters.Add(new NpgsqlParameter { Value = list.Select(p => Text(p.Key)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = list.Select(p => Text(p.Value.Room.Name)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = list.Select(p => Text(p.Value.Room.Topic)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = list.Select(p => Text(p.Value.Room.TopicSetBy)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = list.Select(p => p.Value.Room.TopicSetAt?.ToUnixTimeMilliseconds()).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = list.Select(p => p.Value.Block).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Now() });
        return cmd;
    }

    /// <summary>
    /// The insert of these messages from arrays (unnest): one statement whatever their number. With
    /// <paramref name="blocks"/> (each message's block), only the messages of blocks past the mark.
    /// </summary>
    private static NpgsqlBatchCommand InsertMessages(IReadOnlyList<StoredMessage> messages, IReadOnlyList<long>? blocks)
    {
        var n = messages.Count;
        var (id, time, room, sender, recipient, pair, text) = (new long[n], new long[n], new string?[n], new string[n], new string?[n], new string?[n], new string[n]);
        var (kind, fromOwner, toOwner, gates, since, block) = (new int[n], new string?[n], new string?[n], new int[n], new long[n], new long[n]);
        for (var i = 0; i < n; i++)
        {
            var m = messages[i];
            (id[i], time[i], room[i], sender[i], recipient[i]) = (m.Id, m.Time.ToUnixTimeMilliseconds(), Text(m.Room), Text(m.From)!, Text(m.To));
            pair[i] = m.To is null ? null : Text(Sqlite.SqliteMessageStore.Pair(NameRules.Fold(m.From), NameRules.Fold(m.To)));
            (text[i], kind[i], fromOwner[i], toOwner[i], gates[i], since[i]) = (Text(m.Text)!, (int)m.Kind, Text(m.FromOwner), Text(m.ToOwner), (int)m.Gates, m.GatesSince);
            block[i] = blocks?[i] ?? 0;
        }
        var cmd = new NpgsqlBatchCommand(
            "INSERT INTO messages (id, time, room, sender, recipient, pair, text, kind, sender_owner, recipient_owner, gates, gates_since) " +
            "SELECT id, time, room, sender, recipient, pair, text, kind, fo, tho, gates, since FROM unnest($1::bigint[], $2::bigint[], $3::text[], " +
            "$4::text[], $5::text[], $6::text[], $7::text[], $8::integer[], $9::text[], $10::text[], $11::integer[], $12::bigint[], $13::bigint[]) " +
            "AS u(id, time, room, sender, recipient, pair, text, kind, fo, tho, gates, since, block)" + (blocks is null ? "" : " " + PastTheMark));
        foreach (var values in new object[] { id, time, room, sender, recipient, pair, text, kind, fromOwner, toOwner, gates, since, block })
            cmd.Parameters.Add(new NpgsqlParameter { Value = values });
        return cmd;
    }

    /// <summary>
    /// Runs one write on the writer connection. A connection that worked before may have been cut (PostgreSQL
    /// restarted between two commits): the write is tried once more on a fresh one. When that retry finds its
    /// messages already there (the first try committed, only its answer was lost), the commit is done.
    /// </summary>
    private void Write(Action<NpgsqlConnection> write, bool alreadyStoredOnConflict = false)
    {
        if (_source is null) throw new InvalidOperationException("The store is not open.");
        var reused = _writer is { State: System.Data.ConnectionState.Open };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                write(OpenWriter());
                _problem = null;
                return;
            }
            catch (PostgresException ex) when (attempt > 0 && alreadyStoredOnConflict && ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                _problem = null;
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or StoreException)
            {
                var connectionLost = IsConnectionLost(ex);
                DropWriter();
                if (connectionLost) _source.Clear();
                if (attempt == 0 && reused && connectionLost) continue;
                _problem = Explain(ex);
                throw new StoreException(_problem, ex);
            }
        }
    }

    /// <summary>One small write (the node's seen_at): does PostgreSQL take writes again?</summary>
    public bool ProbeWrite()
    {
        Write(w =>
        {
            using var cmd = new NpgsqlCommand("UPDATE nodes SET seen_at = @t WHERE name = @n", w);
            cmd.Parameters.AddWithValue("t", Now());
            cmd.Parameters.AddWithValue("n", NodeName);
            cmd.ExecuteNonQuery();
        });
        return true;
    }

    public bool IsHealthy(out string? problem)
    {
        problem = _problem;
        return problem is null;
    }

    /// <summary>
    /// Runs a read on a pooled connection. A pooled connection cut by a PostgreSQL restart fails on first use: the
    /// pool is emptied and the read tried once more.
    /// </summary>
    private T Read<T>(Func<NpgsqlConnection, T> read)
    {
        var source = _source ?? throw new InvalidOperationException("The store is not open.");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var c = source.OpenConnection();
                return read(c);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                var connectionLost = ex is NpgsqlException and not PostgresException || ex is PostgresException { SqlState: "57P01" };
                if (connectionLost) source.Clear();
                if (attempt > 0 || !connectionLost) throw new StoreException(Explain(ex), ex);
            }
        }
    }

    /// <summary>The connection broke or its server is going away (a restart): a fresh connection may work.</summary>
    private static bool IsConnectionLost(Exception ex) =>
        ex is NpgsqlException and not PostgresException || ex is PostgresException { SqlState: "57P01" or "57P02" or "57P03" };

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    // PostgreSQL's text cannot hold NUL, which a web client may send; every door shows it as a space anyway.
    private static string? Text(string? s) => s is null || !s.Contains('\0') ? s : s.Replace('\0', ' ');

    public void Dispose()
    {
        // The lock is let go before closing, so that a server started right after this one finds it free.
        if (_writer is { State: System.Data.ConnectionState.Open } w)
        {
            try
            {
                using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", w);
                cmd.ExecuteNonQuery();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // Closing the session lets it go as well.
            }
        }
        DropWriter();
        _source?.Dispose();
        _source = null;
        _writerSource?.Dispose();
        _writerSource = null;
    }
}
