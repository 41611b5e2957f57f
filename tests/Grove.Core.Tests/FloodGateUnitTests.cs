using Grove.Core.Limits;

namespace Grove.Core.Tests;

public sealed class FloodGateUnitTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    [Fact]
    public void A_burst_passes_then_lines_wait_then_sustained_excess_is_refused()
    {
        var time = new ManualTime();
        var gate = new FloodGate(new FloodOptions { Burst = 10, Rate = 2, MaxDelaySeconds = 10 }, time);
        for (var i = 0; i < 10; i++) Assert.Equal(TimeSpan.Zero, gate.Take());
        Assert.Equal(TimeSpan.FromSeconds(0.5), gate.Take());
        Assert.Equal(TimeSpan.FromSeconds(1.0), gate.Take());
        time.Advance(TimeSpan.FromSeconds(1)); // two tokens back
        Assert.Equal(TimeSpan.FromSeconds(0.5), gate.Take());
        for (var i = 0; i < 19; i++) Assert.NotNull(gate.Take());
        Assert.Null(gate.Take()); // more than 10 s behind
        time.Advance(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 10; i++) Assert.Equal(TimeSpan.Zero, gate.Take()); // the bucket refills to its burst only
        Assert.NotEqual(TimeSpan.Zero, gate.Take());
    }

    [Fact]
    public void A_sender_that_always_has_the_next_line_ready_is_cut_after_the_allowed_delay()
    {
        // The door waits out each delay before taking the next line, so the debt never grows; being held back
        // without a pause for longer than MaxDelaySeconds is what counts as flooding.
        var time = new ManualTime();
        var gate = new FloodGate(new FloodOptions { Burst = 2, Rate = 2, MaxDelaySeconds = 1 }, time);
        var passed = 0;
        while (gate.Take() is { } wait)
        {
            passed++;
            time.Advance(wait);
            Assert.True(passed < 20, "never cut");
        }
        Assert.InRange(passed, 4, 6);
        // A person who pastes a few lines and stops is never cut.
        var paste = new FloodGate(new FloodOptions { Burst = 10, Rate = 2, MaxDelaySeconds = 10 }, time);
        for (var i = 0; i < 25; i++) time.Advance(paste.Take()!.Value);
    }

    [Fact]
    public void A_steady_sender_under_the_rate_never_waits()
    {
        var time = new ManualTime();
        var gate = new FloodGate(new FloodOptions { Burst = 3, Rate = 2 }, time);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(TimeSpan.Zero, gate.Take());
            time.Advance(TimeSpan.FromMilliseconds(500));
        }
    }

    [Fact]
    public void Turned_off_it_never_waits()
    {
        var gate = new FloodGate(new FloodOptions { Enabled = false, Burst = 1, Rate = 0.1 }, new ManualTime());
        for (var i = 0; i < 1000; i++) Assert.Equal(TimeSpan.Zero, gate.Take());
    }
}
