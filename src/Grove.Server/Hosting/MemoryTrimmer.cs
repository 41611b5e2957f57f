using System.Diagnostics;
using Grove.Core;
using Grove.Core.People;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Hosting;

/// <summary>
/// Gives memory back to the system after a surge of connections. Thousands of people arriving at once (a restart, a
/// network coming back) leave the heap full of the garbage of their registrations, and a collection frees it but keeps
/// it committed, so the process stays as large as at the peak. Once at least <see cref="GroveServerOptions.MemoryTrimAfter"/>
/// connections have come or gone and a check then sees almost none, the trimmer runs one compacting collection that
/// returns the free memory (a blocking pause, about 40 ms with 10,000 connections on the reference machine).
/// </summary>
public sealed partial class MemoryTrimmer(ChatServer chat, GroveServerOptions options, ILogger<MemoryTrimmer> logger) : IDisposable
{
    /// <summary>How often arrivals and departures are counted.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private Timer? _timer;
    private long _lastChanges;
    private long _surge;
    private int _checking;

    public void Start()
    {
        if (options.MemoryTrimAfter <= 0) return;
        _lastChanges = Changes();
        _timer = new Timer(static state => ((MemoryTrimmer)state!).Check(), this, Interval, Interval);
    }

    // Connections opened plus connections closed, on every door, since the start; in a cluster, other nodes' too.
    private long Changes()
    {
        var changes = chat.RemoteConnectionChanges;
        foreach (var door in Enum.GetValues<DoorKind>())
        {
            var accepted = chat.Metrics.ConnectionsAccepted(door);
            changes += 2 * accepted - chat.Metrics.ConnectionsOpen(door);
        }
        return changes;
    }

    private void Check()
    {
        if (Interlocked.Exchange(ref _checking, 1) != 0) return;
        try
        {
            var now = Changes();
            var recent = now - _lastChanges;
            _lastChanges = now;
            var calm = Math.Max(1, options.MemoryTrimAfter / 100);
            if (recent >= calm)
            {
                _surge += recent;
                return;
            }
            if (_surge < options.MemoryTrimAfter)
            {
                _surge = 0;
                return;
            }
            var surge = _surge;
            _surge = 0;
            var before = Environment.WorkingSet;
            var took = Stopwatch.StartNew();
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            TrimNativeHeap();
            took.Stop();
            var after = Environment.WorkingSet;
            Log.Trimmed(logger, surge, before / 1048576.0, after / 1048576.0, took.Elapsed.TotalMilliseconds,
                GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0);
            Trimmed?.Invoke(new TrimReport(surge, before, after, took.Elapsed));
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    // glibc keeps memory that the runtime's threads freed in their malloc arenas (a surge of 10,000 connections left
    // about 8 MB there); malloc_trim returns it. Not every C library has it (musl does not).
    private static bool s_noMallocTrim;

    private static void TrimNativeHeap()
    {
        if (s_noMallocTrim || !OperatingSystem.IsLinux()) return;
        try
        {
            malloc_trim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            s_noMallocTrim = true;
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);

    /// <summary>After each trim (on a timer thread).</summary>
    public event Action<TrimReport>? Trimmed;

    public void Dispose() => _timer?.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1020, LogLevel.Information,
            "Gave memory back after {Changes} connections came or went: {Before:0} MiB -> {After:0} MiB, a {Millis:0} ms pause; the heap holds {Heap:0.0} MiB")]
        public static partial void Trimmed(ILogger logger, long changes, double before, double after, double millis, double heap);
    }
}

/// <summary>One trim: the connections that came or went in the surge, the working set before and after, the pause.</summary>
public sealed record TrimReport(long Changes, long BytesBefore, long BytesAfter, TimeSpan Pause);
