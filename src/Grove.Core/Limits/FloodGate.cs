namespace Grove.Core.Limits;

/// <summary>Flood control settings: a token bucket per connection, shared by every door.</summary>
public sealed class FloodOptions
{
    /// <summary>Off for benchmarks (`--flood-control false`); on for anything facing people.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Lines a connection may send at once before being slowed down (IRC servers' "fakelag" allows about 10).</summary>
    public int Burst { get; set; } = 10;

    /// <summary>Lines per second a connection may keep sending after the burst.</summary>
    public double Rate { get; set; } = 2;

    /// <summary>
    /// How far behind (in seconds of delay) a connection may fall before it is disconnected for flooding. Excess input
    /// is delayed, not dropped; only sustained excess past this debt closes the connection.
    /// </summary>
    public double MaxDelaySeconds { get; set; } = 10;
}

/// <summary>
/// One connection's token bucket. <see cref="Take"/> is called for each line before it is processed: it answers how
/// long to wait first (zero within the burst), or null when the connection floods: it has been held back
/// continuously for longer than the allowed delay (the door waits out each delay before reading on, so a flooder is
/// one that always has the next line ready), or a single delay would exceed it.
/// Not thread-safe: one per connection, used by its read loop.
/// </summary>
public sealed class FloodGate(FloodOptions options, TimeProvider time)
{
    private double _tokens = options.Burst;
    private long _last = time.GetTimestamp();
    private long? _throttledSince;

    public TimeSpan? Take()
    {
        if (!options.Enabled) return TimeSpan.Zero;
        var now = time.GetTimestamp();
        _tokens = Math.Min(options.Burst, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * options.Rate);
        _last = now;
        var before = _tokens;
        _tokens -= 1;
        if (_tokens >= 0)
        {
            // Only a real pause (tokens saved beyond the one needed) ends a stretch of being held back.
            if (before >= Math.Min(2, options.Burst)) _throttledSince = null;
            return TimeSpan.Zero;
        }
        _throttledSince ??= now;
        var wait = -_tokens / options.Rate;
        if (wait > options.MaxDelaySeconds || time.GetElapsedTime(_throttledSince.Value, now).TotalSeconds > options.MaxDelaySeconds)
        {
            _tokens += 1; // the refused line is not counted
            return null;
        }
        return TimeSpan.FromSeconds(wait);
    }
}
