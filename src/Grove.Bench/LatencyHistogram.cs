namespace Grove.Bench;

/// <summary>
/// Latencies in microseconds, in log-linear buckets (exact below 1 ms, then 64 buckets per doubling: under 1.1 %
/// error), so millions of samples cost a fixed few kilobytes. Thread-safe through interlocked increments.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Linear = 1024;
    private readonly long[] _buckets = new long[Linear + 64 * 32];
    private long _count, _max;

    public long Count => Volatile.Read(ref _count);
    public long MaxMicros => Volatile.Read(ref _max);

    public void Record(long micros)
    {
        if (micros < 0) micros = 0;
        Interlocked.Increment(ref _buckets[Index(micros)]);
        Interlocked.Increment(ref _count);
        long seen;
        while (micros > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, micros, seen) != seen) { }
    }

    private static int Index(long us)
    {
        if (us < Linear) return (int)us;
        var i = Linear + (int)(Math.Log2(us / (double)Linear) * 64);
        return Math.Min(i, Linear + 64 * 32 - 1);
    }

    private static long Lower(int index) => index < Linear ? index : (long)(Linear * Math.Pow(2, (index - Linear) / 64.0));

    /// <summary>The latency below which <paramref name="fraction"/> of the samples fall, in microseconds.</summary>
    public long Percentile(double fraction)
    {
        var total = Count;
        if (total == 0) return 0;
        var target = (long)Math.Ceiling(total * fraction);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Volatile.Read(ref _buckets[i]);
            if (seen >= target) return Math.Min(Lower(i), MaxMicros);
        }
        return MaxMicros;
    }
}
