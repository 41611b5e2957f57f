using Grove.Core.History;
using Microsoft.Data.Sqlite;

namespace Grove.Server.Store.Sqlite;

// What Open checks before the store is used: that no other server uses the data folder (a lock held for the store's
// life), and that the database is not damaged (PRAGMA quick_check).
public sealed partial class SqliteMessageStore
{
    public const string LockFileName = "grove.lock";

    private FileStream? _lock;

    /// <summary>Start on a damaged database anyway (--repair): the damage is kept in <see cref="Damage"/> for the log.</summary>
    public bool Repair { get; init; }

    /// <summary>What quick_check found at start (only with <see cref="Repair"/>; without it, Open refuses).</summary>
    public IReadOnlyList<string> Damage { get; private set; } = [];

    /// <summary>How long the start-up quick_check took.</summary>
    public TimeSpan CheckTime { get; private set; }

    // Two servers on one folder gave each other's message ids (UNIQUE constraint failed) and lost half the messages.
    // An exclusive lock on a file in the folder, held until Dispose; the kernel lets it go if the process dies.
    private void AcquireLock()
    {
        var folder = Path.GetDirectoryName(DatabasePath)!;
        try
        {
            _lock = new FileStream(Path.Combine(folder, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new StoreException($"Another Grove server is already using the data folder {folder}: stop it, or choose another folder with --data.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StoreException($"Cannot write in the data folder {folder}: make it writable, or choose another with --data.", ex);
        }
    }

    private void ReleaseLock()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>
    /// PRAGMA quick_check (every page and b-tree well formed; it skips comparing indexes with their tables, which
    /// makes it several times faster than integrity_check). Damage refuses the start unless <see cref="Repair"/>.
    /// </summary>
    private void CheckIntegrity(SqliteConnection c)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var problems = new List<string>();
        try
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA quick_check(10);";
            cmd.CommandTimeout = 0;
            using var r = cmd.ExecuteReader();
            // A finding may span lines, headed by "*** in database main ***": one line each, without the heading.
            while (r.Read())
                foreach (var line in r.GetString(0).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    if (line != "ok" && !line.StartsWith("***", StringComparison.Ordinal)) problems.Add(line);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 11 or 26) // SQLITE_CORRUPT, SQLITE_NOTADB
        {
            problems.Add(ex.Message);
        }
        CheckTime = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        if (problems.Count == 0) return;
        Damage = problems;
        if (Repair) return;
        throw new StoreException($"The database {DatabasePath} is damaged ({problems[0]}); {RecoverySteps()} (or start with --repair to run on it as it is).");
    }

    /// <summary>
    /// The start-up reads (the newest id, the rooms, their recent history, the accounts) failed on damage: even with
    /// --repair the server cannot start without them, so it refuses with the recovery steps instead of crashing.
    /// </summary>
    public StoreException DamagedAtStart(SqliteException ex) =>
        new($"The database {DatabasePath} is damaged where the server reads it at start ({ex.Message}), so it cannot start on it, even with --repair; {RecoverySteps()}.");

    private string RecoverySteps() =>
        $"to recover what it holds, run in {Path.GetDirectoryName(DatabasePath)}: " +
        $"sqlite3 {FileName} .recover | sqlite3 recovered.db && mv {FileName} {FileName}.damaged && mv recovered.db {FileName}";
}
