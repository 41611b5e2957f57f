using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Grove.Bench;

/// <summary>
/// Sleeps until a moment given in <see cref="Stopwatch"/> ticks, to a few tens of microseconds: on Linux, where the
/// stopwatch reads CLOCK_MONOTONIC in nanoseconds, with clock_nanosleep to that absolute time; elsewhere with
/// Thread.Sleep, to the millisecond.
/// </summary>
internal static partial class Pacing
{
    private const int ClockMonotonic = 1, TimerAbsTime = 1, EIntr = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // Returns the error number itself (0 on success), not -1 and errno.
    [LibraryImport("libc")]
    private static partial int clock_nanosleep(int clock, int flags, in TimeSpec request, IntPtr remain);

    private static readonly bool s_precise =
        OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000 && Works();

    public static void SleepUntil(long timestamp)
    {
        if (s_precise)
        {
            var until = new TimeSpec { Seconds = timestamp / 1_000_000_000, Nanoseconds = timestamp % 1_000_000_000 };
            while (clock_nanosleep(ClockMonotonic, TimerAbsTime, until, IntPtr.Zero) == EIntr) { }
            return;
        }
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (left > TimeSpan.Zero) Thread.Sleep(left);
    }

    private static bool Works()
    {
        try
        {
            return clock_nanosleep(ClockMonotonic, TimerAbsTime, new TimeSpec(), IntPtr.Zero) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
