using Grove.Testing;

namespace Grove.Server.Tests.Rooms;

/// <summary>
/// A secret (+s) room is not shown to whoever is not in it: /rooms and IRC's LIST, NAMES and WHO hid it, but /who #room
/// and /topic #room (IRC TOPIC #room) told an outsider its members and its topic.
/// </summary>
public sealed class SecretRoomVisibilityTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_outsider_learns_neither_the_members_nor_the_topic_of_a_secret_room()
    {
        await using var alice = await _server.JoinAsync("alice");
        await alice.SendAsync("/join #hideout");
        await alice.SendAsync("/mode #hideout +s");
        await alice.ExpectAsync("^\\* alice sets mode \\+s");
        await alice.SendAsync("/topic the plans are under the floor");
        await alice.ExpectAsync("plans are under the floor");

        await using var mallory = await _server.JoinAsync("mallory");
        await mallory.SendAsync("/who #hideout");
        var seen = await mallory.LinesUntilBarrierAsync();
        Assert.DoesNotContain(seen, l => l.Contains("alice"));
        Assert.Contains(seen, l => l.Contains("There is no room called #hideout"));

        await using var irc = await _server.IrcAsync("Ivan");
        await irc.SendAsync("TOPIC #hideout");
        var ircSeen = await irc.IrcBarrierAsync();
        Assert.DoesNotContain(ircSeen, l => l.Contains("plans"));

        // A member still sees both.
        await alice.SendAsync("/who #hideout");
        var own = await alice.LinesUntilBarrierAsync();
        Assert.Contains(own, l => l.Contains("alice") && l.Contains("#hideout"));
        await using var bob = await _server.IrcAsync("bob");
        await alice.SendAsync("/invite bob #hideout");
        await bob.ExpectAsync(" INVITE bob :?#hideout$");
        await bob.SendAsync("JOIN #hideout");
        await bob.SendAsync("TOPIC #hideout");
        Assert.Contains(await bob.IrcBarrierAsync(), l => l.Contains(" 332 ") && l.Contains("plans are under the floor"));
    }
}
