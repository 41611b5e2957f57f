using System.Globalization;

namespace Grove.Server.Hosting;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE) and how many files are open, so that the connections the server
/// accepts fit under it. Every connection is a file descriptor; running out of them made the server fail to load an
/// assembly or start a thread, which ends the process. Linux only (read from /proc); elsewhere nothing is known.
/// </summary>
public static class DescriptorBudget
{
    /// <summary>
    /// Descriptors kept free beyond those open at start: assemblies loaded on first use (about 30), the store's
    /// write-ahead log and shared memory, a log file being rolled, the runtime's own pipes, refused connections
    /// being told why.
    /// </summary>
    public const int Reserve = 128;

    /// <summary>The soft limit on open files (the runtime raises it to the hard limit at start), or null if unknown.</summary>
    public static long? Limit()
    {
        try
        {
            if (!File.Exists("/proc/self/limits")) return null;
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null; // "unlimited"
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>Descriptors open in this process now, or null if unknown.</summary>
    public static int? Open()
    {
        try
        {
            return Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>How many connections fit under <paramref name="limit"/> with <paramref name="open"/> in use, at most <paramref name="wanted"/>.</summary>
    public static int Fit(int wanted, long limit, int open) =>
        (int)Math.Clamp(limit - open - Reserve, 0, wanted);
}
