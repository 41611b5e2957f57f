using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>MONITOR presence goes to several watchers, each addressed by their own nick.</summary>
public sealed class MonitorWatchersTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Two_watchers_each_get_730_and_731_addressed_to_themselves()
    {
        await using var first = await _server.IrcAsync("First");
        await using var second = await _server.IrcAsync("Second");
        await first.SendAsync("MONITOR + Friend");
        Assert.Equal(":test.grove 731 First :Friend", await first.NextLineAsync());
        await second.SendAsync("MONITOR + Friend");
        Assert.Equal(":test.grove 731 Second :Friend", await second.NextLineAsync());

        await using var friend = await _server.JoinAsync("Friend");
        Assert.Equal(":test.grove 730 First :Friend!Friend@plain.grove", await first.NextLineAsync());
        Assert.Equal(":test.grove 730 Second :Friend!Friend@plain.grove", await second.NextLineAsync());
        await friend.SendAsync("/quit");
        Assert.Equal(":test.grove 731 First :Friend", await first.NextLineAsync());
        Assert.Equal(":test.grove 731 Second :Friend", await second.NextLineAsync());
    }
}
