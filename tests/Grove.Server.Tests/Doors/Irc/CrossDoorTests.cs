using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>"A plain-door message to #lobby reaches IRC users as a PRIVMSG from that nick and the other way round."</summary>
public sealed class CrossDoorTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Room_and_private_messages_cross_between_the_plain_and_irc_doors()
    {
        await using var plain = await _server.JoinAsync("pat");
        await using var irc = await _server.IrcAsync("Ivy");
        await irc.SendAsync("JOIN #lobby");
        await plain.ExpectAsync("^\\* Ivy joined #lobby$");
        await irc.IrcBarrierAsync();

        await plain.SendAsync("hello IRC 🌍");
        await irc.ExpectAsync("^:pat!pat@plain\\.grove PRIVMSG #lobby :hello IRC 🌍$");
        await irc.SendAsync("PRIVMSG #lobby :hello plain");
        await plain.ExpectAsync("^Ivy: hello plain$");
        await irc.SendAsync("PRIVMSG #lobby :\u0001ACTION waves\u0001");
        await plain.ExpectAsync("^\\* Ivy waves$");
        await plain.SendAsync("/me waves back");
        await irc.ExpectAsync("^:pat!pat@plain\\.grove PRIVMSG #lobby :\u0001ACTION waves back\u0001$");

        await plain.SendAsync("/msg ivy psst");
        await irc.ExpectAsync("^:pat!pat@plain\\.grove PRIVMSG Ivy :psst$");
        await irc.SendAsync("PRIVMSG PAT :psst back");
        await plain.ExpectAsync("^\\[private\\] Ivy: psst back$");

        await irc.SendAsync("TOPIC #lobby :one topic for all doors");
        await plain.ExpectAsync("^\\* Ivy set the topic of #lobby to: one topic for all doors$");
        await irc.SendAsync("NICK Ivy2");
        await plain.ExpectAsync("^\\* Ivy is now known as Ivy2$");
        await plain.SendAsync("/quit see you");
        await irc.ExpectAsync("^:pat!pat@plain\\.grove QUIT :see you$");
    }

    [Fact]
    public async Task Names_obey_one_rule_on_every_door()
    {
        await using var plain = await _server.JoinAsync("alice");
        await using var irc = await LineClient.ConnectAsync(_server.Irc);
        await irc.SendAsync("NICK ALICE");
        await irc.SendAsync("USER a 0 * :A");
        Assert.Equal(":test.grove 433 * ALICE :Nickname is already in use", await irc.NextLineAsync());
        await irc.SendAsync("NICK Bob");
        await irc.ExpectAsync("^:test\\.grove 001 Bob ");
        await using var plain2 = await LineClient.ConnectAsync(_server.Plain);
        await plain2.ExpectAsync("^What is your name");
        await plain2.SendAsync("bob");
        Assert.Contains("already taken", await plain2.ExpectAsync("^! "));
    }

    [Fact]
    public async Task The_plain_doors_extras_are_reachable_from_irc_through_the_grove_service_and_bamboo()
    {
        await using var plain = await _server.JoinAsync("pat");
        await plain.SendAsync("earlier words");
        await using var irc = await _server.IrcAsync("Ivy");
        await irc.SendAsync("BAMBOO");
        await irc.ExpectAsync("^:Grove!service@services\\.grove NOTICE Ivy :");
        await irc.IrcBarrierAsync();
        await irc.SendAsync("PRIVMSG Grove :bamboo");
        await irc.ExpectAsync("^:Grove!service@services\\.grove NOTICE Ivy :");
        await irc.IrcBarrierAsync();
        await irc.SendAsync("PRIVMSG Grove :help");
        var help = await irc.IrcBarrierAsync();
        Assert.Contains(help, l => l.Contains("bamboo") && l.Contains("NOTICE Ivy"));
        // IRC forms from the command table, never the plain door's slash commands or aliases.
        Assert.Contains(help, l => l.EndsWith(":  ban #room|* NICK|MASK".PadRight(30) + "ban a name, account or mask from a room, and kick; * bans from the whole server (server operators)", StringComparison.Ordinal));
        Assert.DoesNotContain(help, l => l.Contains(" /quit", StringComparison.Ordinal) || l.Contains("@leaves", StringComparison.Ordinal));
        await irc.SendAsync("PRIVMSG Grove :rooms");
        var rooms = await irc.IrcBarrierAsync();
        Assert.Contains(rooms, l => l.StartsWith(":test.grove 322 Ivy #lobby 1 ", StringComparison.Ordinal));
        await irc.SendAsync("JOIN #lobby");
        await irc.ExpectAsync("^:pat!pat@plain\\.grove PRIVMSG #lobby :earlier words$");
        await irc.IrcBarrierAsync();
        await irc.SendAsync("PRIVMSG Grove :history #lobby 5");
        await irc.ExpectAsync("^:Grove!service@services\\.grove NOTICE Ivy :No older messages with #lobby\\.$");
    }
}
