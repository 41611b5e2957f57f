using System.Diagnostics;

namespace Grove.Bench;

/// <summary>CPU time and memory of a process, from /proc (Linux).</summary>
public static class ProcStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>User plus system CPU seconds used so far, or null when the process cannot be read.</summary>
    public static double? CpuSeconds(int pid) => Read(pid) is { } s ? (s.User + s.System) / TicksPerSecond : null;

    /// <summary>
    /// CPU seconds used so far by these processes and all their descendants: each one's own time, the time of its
    /// children that ended and were waited for (a PostgreSQL backend that exits moves its time into the
    /// postmaster's), and every live descendant's. The difference of two readings is the tree's CPU in between,
    /// whichever children came and went. Null when none of the roots can be read.
    /// </summary>
    public static double? TreeCpuSeconds(IReadOnlyCollection<int> roots)
    {
        if (roots.Count == 0) return null;
        var all = new Dictionary<int, Stat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Read(pid) is { } s) all[pid] = s;
        var children = all.ToLookup(p => p.Value.Parent, p => p.Key);
        var seen = new HashSet<int>();
        var todo = new Stack<int>(roots.Where(all.ContainsKey));
        if (todo.Count == 0) return null;
        long ticks = 0;
        while (todo.TryPop(out var pid))
        {
            if (!seen.Add(pid)) continue;
            var s = all[pid];
            ticks += s.User + s.System + s.ChildrenUser + s.ChildrenSystem;
            foreach (var child in children[pid]) todo.Push(child);
        }
        return ticks / TicksPerSecond;
    }

    private readonly record struct Stat(int Parent, long User, long System, long ChildrenUser, long ChildrenSystem);

    private static Stat? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may contain spaces; fields after the closing parenthesis are plain.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // rest[0] is field 3 (state): the parent is field 4, utime 14, stime 15, cutime 16 and cstime 17.
            return new Stat(int.Parse(rest[1]), long.Parse(rest[11]), long.Parse(rest[12]), long.Parse(rest[13]), long.Parse(rest[14]));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Resident memory in bytes, or null.</summary>
    public static long? RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }

    /// <summary>The sum of these processes' resident memory, or null when none can be read.</summary>
    public static long? RssBytes(IReadOnlyCollection<int> pids)
    {
        long? sum = null;
        foreach (var pid in pids.Distinct())
            if (RssBytes(pid) is { } r) sum = (sum ?? 0) + r;
        return sum;
    }

    public static double OwnCpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
}
