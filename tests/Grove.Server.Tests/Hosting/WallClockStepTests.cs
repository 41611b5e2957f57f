using Grove.Testing;

namespace Grove.Server.Tests.Hosting;

/// <summary>
/// Issue 20 item 11: with the clock set back an hour, nameless sockets stayed open past the registration timeout.
/// docs/operations.md: "Every timeout and lock-out is measured on a monotonic clock; setting the wall clock back or
/// forward does not shorten or lengthen one."
/// </summary>
public sealed class WallClockStepTests
{
    /// <summary>The system's clocks, with the wall clock set back by <see cref="Back"/> (monotonic time untouched).</summary>
    private sealed class SetBackClock : TimeProvider
    {
        public TimeSpan Back;
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() - Back;
    }

    [Fact]
    public async Task The_registration_timeout_still_cuts_after_the_wall_clock_is_set_back_an_hour()
    {
        var clock = new SetBackClock();
        await using var server = await TestServer.StartAsync(o => { o.RegistrationTimeoutSeconds = 1; o.Time = clock; });
        await using var plain = await LineClient.ConnectAsync(server.Plain);
        await plain.ExpectAsync("^What is your name\\?$");
        await using var irc = await LineClient.ConnectAsync(server.Irc);
        await irc.SendAsync("CAP LS 302");
        await irc.ExpectAsync("CAP \\* LS");

        clock.Back = TimeSpan.FromHours(1); // both connections exist; now the wall clock is stepped back

        Assert.Contains("* No name was chosen within 1 seconds.", await plain.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(await irc.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)),
            l => l.StartsWith("ERROR :Closing Link: * (No name was chosen", StringComparison.Ordinal));
    }
}
