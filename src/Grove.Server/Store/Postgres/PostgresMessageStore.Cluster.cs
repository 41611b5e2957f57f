using System.Text.Json;
using Grove.Core;
using Grove.Core.Accounts;
using Grove.Core.Cluster;
using Grove.Core.History;
using Npgsql;

namespace Grove.Server.Store.Postgres;

// The cluster's command log in PostgreSQL. Appends are ordered by the row lock on log_head: an append holds it from
// its UPDATE to its commit, so block numbers follow commit order with no gaps, and a reader that sees block n sees
// every block before it. A committed append sends one NOTIFY without a body (a wake-up, saying only which node
// appended: that node's appender hands the block to its own command loop); readers that miss one still poll every
// second. Materializing takes a transaction-level advisory lock, so one node writes each block's messages and the
// others find it done. Each thread of the node (appender, reader, lease, materializer) has its own connection.
public sealed partial class PostgresMessageStore
{
    // pg_advisory_xact_lock keys: starting a node (one at a time), materializing (one writer per block).
    private const long JoinLockKey = 0x67726f7601;
    private const long MaterializeLockKey = 0x67726f7602;
    private const string WakeUpChannel = "grove_log";

    private int _nodeId, _epoch;
    private string _ownWakeUp = ""; // the payload of this node's own wake-ups, which its reader does not count
    private NpgsqlConnection? _appender, _reader;
    private volatile bool _woken;

    public ClusterStart Join(string nodeName, TimeSpan lostAfter, Func<ClusterBase> makeBase) => Read(c =>
    {
        using var tx = c.BeginTransaction();
        Exec(c, "SELECT pg_advisory_xact_lock($1)", JoinLockKey);
        int epoch;
        long baseBlock;
        byte[]? baseBytes;
        using (var cmd = new NpgsqlCommand("SELECT epoch, base_block, base FROM cluster WHERE id = 1", c))
        using (var r = cmd.ExecuteReader())
        {
            r.Read();
            (epoch, baseBlock, baseBytes) = (r.GetInt32(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetFieldValue<byte[]>(2));
        }
        var alive = Convert.ToInt64(Scalar(c, "SELECT count(*) FROM cluster_nodes WHERE epoch = $1 AND NOT gone AND beat_at > now() - $2::interval", epoch, lostAfter));
        // Nodes deliver a block once it is in the log, and write its messages to the tables just after. When every
        // node stopped before that (killed, power), the epoch's log is applied again, by this node, instead of
        // being dropped: what its people saw is then in history too.
        var unmaterialized = baseBytes is not null && Convert.ToBoolean(Scalar(c,
            "SELECT (SELECT head FROM log_head WHERE id = 1) > (SELECT materialized FROM cluster WHERE id = 1)"));
        var recovered = alive == 0 && unmaterialized;
        var fresh = alive == 0 && !recovered || baseBytes is null;
        var replaced = new List<int>();
        ClusterBase start;
        if (fresh)
        {
            // No node is alive and every block is materialized: the log may go, and the tables are the new base.
            var head = Convert.ToInt64(Scalar(c, "SELECT head FROM log_head WHERE id = 1"));
            Exec(c, "UPDATE cluster_nodes SET gone = true WHERE NOT gone");
            Exec(c, "DELETE FROM command_log");
            start = makeBase();
            baseBytes = JsonSerializer.SerializeToUtf8Bytes(start);
            epoch = Convert.ToInt32(Scalar(c, "UPDATE cluster SET epoch = epoch + 1, base_block = $1, base = $2, materialized = $1 WHERE id = 1 RETURNING epoch", head, baseBytes));
            baseBlock = head;
        }
        else
        {
            start = JsonSerializer.Deserialize<ClusterBase>(baseBytes!) ?? throw new StoreException("The cluster's base state in PostgreSQL is empty.");
            using (var cmd = new NpgsqlCommand("UPDATE cluster_nodes SET gone = true WHERE epoch = $1 AND NOT gone AND (name = $2 OR $3) RETURNING id", c))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = epoch });
                cmd.Parameters.Add(new NpgsqlParameter { Value = nodeName });
                cmd.Parameters.Add(new NpgsqlParameter { Value = recovered });
                using var r = cmd.ExecuteReader();
                while (r.Read()) replaced.Add(r.GetInt32(0));
            }
        }
        _nodeId = Convert.ToInt32(Scalar(c, "INSERT INTO cluster_nodes (name, epoch) VALUES ($1, $2) RETURNING id", nodeName, epoch));
        _ownWakeUp = _nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _epoch = epoch;
        var now = Convert.ToInt64(Scalar(c, "SELECT head FROM log_head WHERE id = 1"));
        tx.Commit();
        return new ClusterStart(_nodeId, start, baseBlock, now, fresh, replaced, recovered);
    });

    public long Append(byte[] entries, IReadOnlyList<int>? lost = null) => OnOwn(ref _appender, c =>
    {
        using var batch = new NpgsqlBatch(c);
        // One statement (prepared once): the block, and the wake-up, which says which node appended (no body): that
        // node has the block already and need not read it. A fenced node appends nothing and wakes no one.
        var append = new NpgsqlBatchCommand(
            "WITH me AS (SELECT 1 FROM cluster_nodes WHERE id = $1 AND NOT gone), " +
            "h AS (UPDATE log_head SET head = head + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM me) RETURNING head), " +
            "i AS (INSERT INTO command_log (block, node, entries) SELECT head, $1, $2 FROM h RETURNING block) " +
            $"SELECT block, pg_notify('{WakeUpChannel}', $3) FROM i");
        append.Parameters.Add(new NpgsqlParameter { Value = _nodeId });
        append.Parameters.Add(new NpgsqlParameter { Value = entries });
        append.Parameters.Add(new NpgsqlParameter { Value = _ownWakeUp });
        batch.BatchCommands.Add(append);
        if (lost is { Count: > 0 })
        {
            // Only with the block, whose NodeLost entries make their people leave: a fenced node's mark alone would
            // hide those nodes from every FindLost, and their people would stay on every node.
            var mark = new NpgsqlBatchCommand("UPDATE cluster_nodes SET gone = true WHERE id = ANY($1) AND EXISTS (SELECT 1 FROM cluster_nodes WHERE id = $2 AND NOT gone)");
            mark.Parameters.Add(new NpgsqlParameter { Value = lost.ToArray() });
            mark.Parameters.Add(new NpgsqlParameter { Value = _nodeId });
            batch.BatchCommands.Add(mark);
        }
        var block = batch.ExecuteScalar();
        if (block is not long n) throw new ClusterFencedException("the cluster counted this node as lost; it may not write to the log");
        return n;
    });

    public LogRead Read(long after, int max) => OnOwn(ref _reader, c =>
    {
        _woken = false;
        // The mark first, then the blocks, in one statement: a row with no block carries the mark.
        using var cmd = new NpgsqlCommand(
            "SELECT NULL::bigint, NULL::int, NULL::bytea, materialized FROM cluster WHERE id = 1 UNION ALL " +
            "(SELECT block, node, entries, NULL FROM command_log WHERE block > $1 ORDER BY block LIMIT $2)", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = after });
        cmd.Parameters.Add(new NpgsqlParameter { Value = max });
        using var r = cmd.ExecuteReader();
        var blocks = new List<LogBlock>();
        long materialized = 0;
        while (r.Read())
            if (r.IsDBNull(0)) materialized = r.GetInt64(3);
            else blocks.Add(new LogBlock(r.GetInt64(0), r.GetInt32(1), r.GetFieldValue<byte[]>(2)));
        return new LogRead(blocks, materialized);
    }, listen: true);

    public bool WaitForBlocks(TimeSpan timeout) => OnOwn(ref _reader, c =>
    {
        // A wake-up that came while the last read ran counts: its block may be newer than what that read saw. This
        // node's own wake-ups do not count (its appender handed it the block), so they are waited through.
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (!_woken)
        {
            var left = until - System.Diagnostics.Stopwatch.GetTimestamp();
            // Whole milliseconds, at least one: Npgsql takes 0 as no limit.
            if (left <= 0 || !c.Wait((int)Math.Max(1, Math.Ceiling(left * 1000.0 / System.Diagnostics.Stopwatch.Frequency)))) return _woken;
        }
        return true;
    }, listen: true);

    public long Materialize(IReadOnlyList<BlockChanges> blocks)
    {
        if (blocks.All(static b => b.Changes is null)) return MaterializeMessages(blocks);
        long result = 0;
        Write(w =>
        {
            using var tx = w.BeginTransaction();
            Exec(w, "SELECT pg_advisory_xact_lock($1)", MaterializeLockKey);
            var done = Convert.ToInt64(Scalar(w, "SELECT materialized FROM cluster WHERE id = 1"));
            var messages = new List<StoredMessage>();
            var rooms = new List<StoredRoom>();
            var newest = done;
            using var changes = new NpgsqlBatch(w);
            foreach (var b in blocks)
            {
                if (b.Block <= done) continue;
                messages.AddRange(b.Messages);
                rooms.AddRange(b.Rooms);
                if (b.Changes is { } ch) AddChanges(changes, ch);
                newest = Math.Max(newest, b.Block);
            }
            if (newest > done)
            {
                if (messages.Count > 0 || rooms.Count > 0) CommitBatch(w, messages, rooms);
                if (changes.BatchCommands.Count > 0) changes.ExecuteNonQuery();
                Exec(w, "UPDATE cluster SET materialized = $1 WHERE id = 1", newest);
            }
            tx.Commit();
            result = newest;
        });
        return result;
    }

    /// <summary>
    /// The common case, messages and topics only, in one round trip: one batch (one transaction) that takes the lock,
    /// inserts only the rows of blocks past the mark (each row carries its block), and moves the mark. The nodes that
    /// come second wait for the lock, insert nothing, write nothing, and learn the mark.
    /// </summary>
    private long MaterializeMessages(IReadOnlyList<BlockChanges> blocks)
    {
        long result = 0;
        Write(w =>
        {
            using var batch = new NpgsqlBatch(w);
            var lockCmd = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
            lockCmd.Parameters.Add(new NpgsqlParameter { Value = MaterializeLockKey });
            batch.BatchCommands.Add(lockCmd);
            var rooms = blocks.SelectMany(static b => b.Rooms.Select(r => (r, b.Block))).ToList();
            var messages = blocks.SelectMany(static b => b.Messages).ToList();
            if (rooms.Count > 0) batch.BatchCommands.Add(InsertRooms(rooms, afterMark: true));
            if (messages.Count > 0) batch.BatchCommands.Add(InsertMessages(messages, blocks.SelectMany(static b => b.Messages.Select(_ => b.Block)).ToList()));
            var mark = new NpgsqlBatchCommand("UPDATE cluster SET materialized = $1 WHERE id = 1 AND materialized < $1");
            mark.Parameters.Add(new NpgsqlParameter { Value = blocks.Max(static b => b.Block) });
            batch.BatchCommands.Add(mark);
            // Every row of these blocks is in the tables now, written by this node or by the one that came first.
            batch.ExecuteNonQuery();
            result = blocks.Max(static b => b.Block);
        });
        return result;
    }

    public int Beat() => Read(c => Convert.ToInt32(Scalar(c,
        "WITH b AS (UPDATE cluster_nodes SET beat_at = now() WHERE id = $1 AND NOT gone RETURNING epoch) " +
        "SELECT count(*) FROM cluster_nodes n, b WHERE n.epoch = b.epoch AND NOT n.gone", _nodeId)));

    public IReadOnlyList<int> FindLost(TimeSpan lostAfter) => Read(c =>
    {
        using var cmd = new NpgsqlCommand("SELECT id FROM cluster_nodes WHERE epoch = $1 AND NOT gone AND id <> $2 AND beat_at < now() - $3::interval", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = _epoch });
        cmd.Parameters.Add(new NpgsqlParameter { Value = _nodeId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = lostAfter });
        using var r = cmd.ExecuteReader();
        var lost = new List<int>();
        while (r.Read()) lost.Add(r.GetInt32(0));
        return (IReadOnlyList<int>)lost;
    });

    public void Leave() => Read(c => Exec(c, "UPDATE cluster_nodes SET gone = true WHERE id = $1", _nodeId));

    /// <summary>
    /// Stores changes made outside the cluster, or says why not (<see cref="InUse"/>). Under the lock a node
    /// joins by, so no node starts between the check and the commit; and the nodes whose lease ran out are counted
    /// gone, as a node started with this <paramref name="lostAfter"/> would: the next start, whatever its own
    /// --node-lost-after, then begins a new epoch from the tables, with these changes in it.
    /// </summary>
    public string? CommitOutsideCluster(StoreChanges changes, TimeSpan lostAfter) => Read(c =>
    {
        using var tx = c.BeginTransaction();
        Exec(c, "SELECT pg_advisory_xact_lock($1)", JoinLockKey);
        if (InUse(c, lostAfter) is { } why) return why;
        Exec(c, "UPDATE cluster_nodes SET gone = true WHERE NOT gone");
        using var batch = new NpgsqlBatch(c);
        AddChanges(batch, changes);
        if (batch.BatchCommands.Count > 0) batch.ExecuteNonQuery();
        tx.Commit();
        return null;
    });

    /// <summary>
    /// Why the tables may not be changed from outside the cluster right now (<c>grove account create</c>), or null:
    /// running nodes would not learn of the change (each holds the state its epoch began with), and a log not yet
    /// written to the tables is carried on by the next start, on the old base, without it.
    /// </summary>
    private string? InUse(NpgsqlConnection c, TimeSpan lostAfter)
    {
        using var cmd = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM cluster_nodes n, cluster k WHERE k.id = 1 AND n.epoch = k.epoch AND NOT n.gone AND n.beat_at > now() - $1::interval), " +
            "(SELECT head FROM log_head WHERE id = 1) > (SELECT materialized FROM cluster WHERE id = 1) AND (SELECT base IS NOT NULL FROM cluster WHERE id = 1)", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = lostAfter });
        using var r = cmd.ExecuteReader();
        r.Read();
        var alive = r.GetInt64(0);
        var unwritten = !r.IsDBNull(1) && r.GetBoolean(1);
        if (alive > 0)
            return $"{alive} node{(alive == 1 ? " is" : "s are")} running on the {Where} (or stopped less than {lostAfter.TotalSeconds:0} s ago): stop every node first (SIGTERM), as a running cluster would not learn of the account.";
        if (unwritten)
            return $"The cluster on the {Where} was stopped without writing all of its log to the tables (its nodes were killed): start one node and stop it with SIGTERM first.";
        return null;
    }

    /// <summary>Runs on a connection of one thread's own (opened when there is none; the reader's listens).</summary>
    private T OnOwn<T>(ref NpgsqlConnection? own, Func<NpgsqlConnection, T> use, bool listen = false)
    {
        var source = _writerSource ?? throw new InvalidOperationException("The store is not open.");
        var reused = own is { State: System.Data.ConnectionState.Open };
        for (var attempt = 0; ; attempt++)
        try
        {
            if (own is not { State: System.Data.ConnectionState.Open })
            {
                own?.Dispose();
                own = null;
                var c = source.OpenConnection();
                own = c;
                if (listen)
                {
                    c.Notification += (_, e) =>
                    {
                        if (e.Payload != _ownWakeUp) _woken = true;
                    };
                    Exec(c, $"LISTEN {WakeUpChannel}");
                }
            }
            return use(own);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
        {
            try { own?.Dispose(); } catch (Exception) { /* already broken */ }
            own = null;
            // A connection idle through a PostgreSQL restart fails on first use: once more on a fresh one (an append
            // that did commit is then in the log twice, which every node skips by its serial).
            var connectionLost = IsConnectionLost(ex);
            if (attempt == 0 && reused && connectionLost) continue;
            throw ex as StoreException ?? new StoreException(Explain(ex), ex);
        }
    }

    private static int Exec(NpgsqlConnection c, string sql, params object[] values)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        foreach (var v in values) cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        return cmd.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection c, string sql, params object[] values)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        foreach (var v in values) cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        return cmd.ExecuteScalar();
    }
}
