using Grove.Testing;

namespace Grove.Server.Tests.Rooms;

public sealed class RoomsIntegrationTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Join_creates_a_room_switches_to_it_and_messages_go_there()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await using var carol = await _server.JoinAsync("carol");
        await alice.SendAsync("/join #Dev");
        await alice.ExpectAsync("^\\* You joined #Dev \\(a new room\\); nobody else is here\\.$");
        await bob.ExpectAsync("^\\* alice left #lobby \\(went to #Dev\\)$");
        await bob.SendAsync("/join #dev"); // the same room: names compare ignoring case
        await bob.ExpectAsync("^\\* You joined #Dev; also here: alice\\.$");
        await alice.ExpectAsync("^\\* bob joined #Dev$");

        await alice.SendAsync("only for dev");
        await bob.ExpectAsync("^alice: only for dev$");
        Assert.DoesNotContain(await carol.LinesUntilBarrierAsync(), l => l.Contains("only for dev"));

        await carol.SendAsync("/who #DEV");
        Assert.Equal("* In #Dev (2): alice, bob", await carol.ExpectAsync("^\\* In "));
        await carol.SendAsync("/who");
        Assert.Equal("* Online (3): alice, bob, carol", await carol.ExpectAsync("^\\* Online"));
    }

    [Fact]
    public async Task Rooms_lists_each_room_with_its_member_count_and_topic()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync("/join #quiet");
        await alice.SendAsync("/topic A place to think");
        await alice.ExpectAsync("^\\* alice set the topic of #quiet to: A place to think$");
        await bob.SendAsync("/rooms");
        Assert.Equal("* Rooms (2):", await bob.ExpectAsync("^\\* Rooms"));
        Assert.Equal("*   #lobby (1)", await bob.NextLineAsync());
        Assert.Equal("*   #quiet (1): A place to think", await bob.NextLineAsync());
    }

    [Fact]
    public async Task Topic_shows_and_sets_the_topic_for_everyone_in_the_room()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync("/topic");
        await alice.ExpectAsync("^\\* #lobby has no topic\\. Set one with /topic TEXT\\.$");
        await alice.SendAsync("/topic Welcome to Grove 🌳");
        await bob.ExpectAsync("^\\* alice set the topic of #lobby to: Welcome to Grove 🌳$");
        await bob.SendAsync("/topic");
        Assert.Equal("* Topic of #lobby: Welcome to Grove 🌳 (set by alice)", await bob.ExpectAsync("^\\* Topic of"));
        await using var carol = await _server.JoinAsync("carol");
        Assert.Equal("* Topic of #lobby: Welcome to Grove 🌳", await carol.ExpectAsync("^\\* Topic of"));
    }

    [Fact]
    public async Task Part_leaves_the_room_and_messages_are_refused_until_the_next_join()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync("/part see you");
        await alice.ExpectAsync("^\\* You left #lobby \\(see you\\)\\.");
        await bob.ExpectAsync("^\\* alice left #lobby \\(see you\\)$");
        await alice.SendAsync("anyone?");
        Assert.Contains("not in a room", await alice.ExpectAsync("^! "));
        await alice.SendAsync("/part #nowhere");
        Assert.Contains("no room called #nowhere", await alice.ExpectAsync("^! "));
        await alice.SendAsync("/join #lobby");
        await alice.ExpectAsync("^\\* You joined #lobby");
        await alice.SendAsync("back");
        await bob.ExpectAsync("^alice: back$");
    }

    [Theory]
    [InlineData("/join lobby", "starts with '#'")]
    [InlineData("/join #", "starts with '#'")]
    [InlineData("/join #a,b", "cannot contain")]
    [InlineData("/join #bell\u0007", "cannot contain")]
    [InlineData("/join #rtl\u202Eevil", "cannot contain")]
    [InlineData("/who #missing", "no room called #missing")]
    [InlineData("/history 0", "number from 1 to 500")]
    [InlineData("/history 9000", "number from 1 to 500")]
    [InlineData("/history #missing", "no room called #missing")]
    [InlineData("/topic bad\u0007topic", "control characters")]
    public async Task Bad_input_is_a_clear_error_and_nothing_is_stored(string command, string reason)
    {
        await using var alice = await _server.JoinAsync("alice");
        await alice.SendAsync(command);
        Assert.Contains(reason, await alice.ExpectAsync("^! "));
        await alice.SendAsync("/rooms");
        await alice.ExpectAsync("^\\* Rooms \\(1\\):$");
        await alice.SendAsync("/topic");
        await alice.ExpectAsync("^\\* #lobby has no topic");
    }

    [Fact]
    public async Task An_overlong_topic_is_refused()
    {
        await using var alice = await _server.JoinAsync("alice");
        await alice.SendAsync("/topic " + new string('t', 391));
        Assert.Contains("at most 390 characters", await alice.ExpectAsync("^! "));
        await alice.SendAsync("/topic " + new string('t', 390));
        await alice.ExpectAsync("^\\* alice set the topic");
    }

    [Fact]
    public async Task A_join_replays_the_last_20_messages_marked_as_history_and_history_pages_back()
    {
        await using var alice = await _server.JoinAsync("alice");
        for (var i = 1; i <= 45; i++) await alice.SendAsync($"note {i}");
        await alice.LinesUntilBarrierAsync();

        await using var bob = await LineClient.ConnectAsync(_server.Plain);
        await bob.SendAsync("bob");
        await bob.ExpectAsync("^\\* Welcome, bob!");
        var replay = new List<string>();
        for (var i = 0; i < 20; i++) replay.Add(await bob.NextLineAsync());
        Assert.All(replay, l => Assert.Matches("^\\[history \\d\\d:\\d\\d\\] alice: note \\d+$", l));
        Assert.Equal(Enumerable.Range(26, 20).Select(i => $"alice: note {i}"), replay.Select(l => l[(l.IndexOf(']') + 2)..]));
        Assert.Empty(await bob.LinesUntilBarrierAsync());

        await bob.SendAsync("/history 10");
        var page = new List<string>();
        for (var i = 0; i < 10; i++) page.Add(await bob.NextLineAsync());
        Assert.Equal(Enumerable.Range(16, 10).Select(i => $"alice: note {i}"), page.Select(l => l[(l.IndexOf(']') + 2)..]));
        await bob.SendAsync("/history 500");
        var rest = new List<string>();
        for (var i = 0; i < 15; i++) rest.Add(await bob.NextLineAsync());
        Assert.Equal(Enumerable.Range(1, 15).Select(i => $"alice: note {i}"), rest.Select(l => l[(l.IndexOf(']') + 2)..]));
        await bob.SendAsync("/history");
        Assert.Equal("* No older messages with #lobby.", await bob.NextLineAsync());
    }

    [Fact]
    public async Task Private_history_is_shown_only_to_its_two_people()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await using var eve = await _server.JoinAsync("eve");
        await alice.SendAsync("/msg bob our secret 🔐");
        await bob.ExpectAsync("^\\[private\\] alice: our secret");
        await bob.SendAsync("/msg alice safe with me");
        await alice.ExpectAsync("^\\[private\\] bob: safe with me");

        await bob.SendAsync("/history alice");
        Assert.Matches("^\\[history \\d\\d:\\d\\d\\] \\[private alice to bob\\] our secret 🔐$", await bob.ExpectAsync("^\\[history"));
        Assert.Matches("\\[private bob to alice\\] safe with me$", await bob.NextLineAsync());

        await eve.SendAsync("/history alice");
        Assert.Equal("* No older messages with alice.", await eve.ExpectAsync("^\\* No older"));
        await eve.SendAsync("/history bob");
        Assert.Equal("* No older messages with bob.", await eve.ExpectAsync("^\\* No older"));
        await eve.SendAsync("/history");
        Assert.DoesNotContain(await eve.LinesUntilBarrierAsync(), l => l.Contains("secret"));
    }
}
