using Grove.Server.Doors;

namespace Grove.Server.Tests.Hosting;

/// <summary>
/// Issue 20 item 15: out of file descriptors, the accept loop logged a warning every 50 ms. docs/operations.md: "an
/// accept that fails waits, 10 ms doubling up to 1 s, and is logged once per 10 seconds with how many failed".
/// </summary>
public sealed class AcceptBackoffUnitTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
        public void Pass(TimeSpan by) => Ticks += by.Ticks;
    }

    [Fact]
    public void Failures_wait_longer_each_time_up_to_a_second_and_are_logged_once_per_interval_with_their_count()
    {
        var clock = new ManualClock();
        var backoff = new AcceptBackoff(clock);
        var logged = new List<int>();
        var waits = new List<TimeSpan>();
        // 25 s of failures, each retried after the wait it was given.
        while (clock.GetElapsedTime(0) < TimeSpan.FromSeconds(25))
        {
            var wait = backoff.Failed(out var report);
            if (report > 0) logged.Add(report);
            waits.Add(wait);
            clock.Pass(wait);
        }
        Assert.Equal(TimeSpan.FromMilliseconds(10), waits[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(20), waits[1]);
        Assert.Equal(TimeSpan.FromSeconds(1), waits.Max());
        Assert.Equal(3, logged.Count); // at 0 s, 10 s and 20 s
        Assert.Equal(1, logged[0]);
        Assert.InRange(logged[1], 10, 20); // the waits growing to 1 s (about 1.3 s in all), then 1-s waits
        var pending = waits.Count - logged.Sum();
        clock.Pass(TimeSpan.FromSeconds(10));
        backoff.Failed(out var next);
        Assert.Equal(pending + 1, next); // every failure is counted in exactly one line

        backoff.Succeeded();
        Assert.Equal(TimeSpan.FromMilliseconds(10), backoff.Failed(out var quiet));
        Assert.Equal(0, quiet); // a success does not restart the interval: a limit that lets one in now and then stays quiet
    }
}
