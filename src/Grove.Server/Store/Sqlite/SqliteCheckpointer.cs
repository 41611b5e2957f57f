using Microsoft.Data.Sqlite;

namespace Grove.Server.Store.Sqlite;

/// <summary>
/// Copies the write-ahead log into the database file on a thread of its own, so that no commit waits for it.
/// <para>
/// By default SQLite does this itself, inside the commit that takes the log past 1,000 pages. Grove's store is on the
/// delivery path (a message is committed before anyone sees it), so that one commit took 4 to 10 ms instead of about
/// 0.1, and every message behind it waited: about one such stall a second at 500 messages/s, a good part of the
/// slowest 1 % of deliveries. Here the writer only counts its commits. Every <see cref="CommitsPerCheckpoint"/>
/// commits, and a second after the last one, this thread runs a passive checkpoint on a connection of its own, which
/// never blocks the writer. Once a checkpoint has caught up with the last commit, the writer's next commit starts
/// the log over from its beginning, as before.
/// </para>
/// <para>
/// A log that never catches up (commits without a pause, or a reader holding an old snapshot) would grow without
/// bound. So after each commit the writer looks at the log file's length (one stat; the file is cut back to
/// 4 MB whenever the log starts over, so a longer file is the log now), and past <see cref="MaxLogPages"/> it
/// checkpoints on its own after its commit, as SQLite did, with TRUNCATE, which empties the file at once. A checkpoint
/// of this thread under way would make it fail at once (SQLite's checkpoint lock does not wait), so the writer waits
/// for that one to end first: the bound then holds however this thread is scheduled.
/// </para>
/// </summary>
internal sealed class SqliteCheckpointer : IDisposable
{
    internal const int CommitsPerCheckpoint = 64;
    internal const int MaxLogPages = 4_096; // 16 MB with SQLite's 4 KB pages; SQLite's own default is 1,000
    private const long MaxLogBytes = MaxLogPages * (4096L + 24) + 32; // a frame is a page and its header
    private const int TriesToCatchUp = 4;

    private readonly SqliteConnection _connection;
    private readonly AutoResetEvent _wake = new(false);
    private readonly object _checkpointing = new(); // held for each checkpoint, this thread's or the writer's
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _commits;
    private long _checkpointedAt;
    private readonly string _logFile;
    private long _standAsideUntil; // commits: this thread leaves the log to the writer until then
    private long _byWriter;
    private long _caughtUpThrough; // every commit up to this count is copied into the database

    public SqliteCheckpointer(string connectionString, string databasePath)
    {
        _logFile = databasePath + "-wal";
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        _thread = new Thread(Run) { IsBackground = true, Name = "Grove store checkpoints" };
        _thread.Start();
    }

    /// <summary>Checkpoints the writer tried itself because the log had grown past <see cref="MaxLogPages"/>.</summary>
    public long ByWriter => Interlocked.Read(ref _byWriter);

    /// <summary>For tests: waits until a checkpoint of this thread has caught up with every commit so far.</summary>
    internal bool WaitForCatchUp(TimeSpan timeout)
    {
        var commits = Interlocked.Read(ref _commits);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (_connection)
        {
            while (_caughtUpThrough < commits)
            {
                var left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero || !Monitor.Wait(_connection, left)) return _caughtUpThrough >= commits;
            }
            return true;
        }
    }

    /// <summary>
    /// The writer, after each commit: counts it, wakes this thread every so many commits, and checkpoints on the
    /// writer's own connection when the log has grown too long.
    /// </summary>
    public void Committed(SqliteConnection writer)
    {
        var commits = Interlocked.Increment(ref _commits);
        if (commits % CommitsPerCheckpoint == 0) _wake.Set();
        if (LogBytes() <= MaxLogBytes) return;
        Interlocked.Increment(ref _byWriter);
        // This thread stands aside meanwhile: a checkpoint of its own at the writer's next commit could keep the log
        // from starting over.
        Volatile.Write(ref _standAsideUntil, commits + CommitsPerCheckpoint);
        try
        {
            // TRUNCATE, not PASSIVE: it empties the log file before it returns. Checkpoint waits for this thread's own,
            // if one is under way: under load that thread can go unscheduled for a while holding SQLite's checkpoint
            // lock, and the log grew past the bound (19 MB in a test with the machine paused for a second).
            Checkpoint(writer, "TRUNCATE");
        }
        catch (SqliteException)
        {
            // The commit itself succeeded; the checkpoint is tried again after later ones.
        }
    }

    private long LogBytes()
    {
        try
        {
            return new FileInfo(_logFile).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private void Run()
    {
        while (true)
        {
            // A second after the last commit at the latest, so an idle server's log is copied too.
            _wake.WaitOne(TimeSpan.FromSeconds(1));
            if (_stopping) return;
            var commits = Interlocked.Read(ref _commits);
            if (commits == _checkpointedAt || commits < Volatile.Read(ref _standAsideUntil)) continue;
            _checkpointedAt = commits;
            try
            {
                // A commit during the checkpoint leaves its pages for the next try, which has less to copy.
                for (var i = 0; i < TriesToCatchUp && !_stopping; i++)
                {
                    var through = Interlocked.Read(ref _commits);
                    var (busy, log, copied) = Checkpoint(_connection);
                    if (!busy && copied >= log)
                    {
                        lock (_connection)
                        {
                            _caughtUpThrough = through;
                            Monitor.PulseAll(_connection);
                        }
                        break;
                    }
                }
            }
            catch (SqliteException)
            {
                // The store's own operations report a failing database; a checkpoint simply tries again later.
            }
        }
    }

    /// <summary>
    /// A checkpoint (passive unless told), one at a time: whether it was blocked, the pages in the log, and how many
    /// are now copied.
    /// </summary>
    private (bool Busy, int Log, int Copied) Checkpoint(SqliteConnection c, string mode = "PASSIVE")
    {
        lock (_checkpointing)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"PRAGMA wal_checkpoint({mode});";
            using var r = cmd.ExecuteReader();
            if (!r.Read()) return (true, 0, 0);
            return (r.GetInt32(0) != 0, r.GetInt32(1), r.GetInt32(2));
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join(TimeSpan.FromSeconds(10));
        _connection.Dispose();
    }
}
