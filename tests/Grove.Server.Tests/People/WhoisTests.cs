using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Server.Tests.People;

/// <summary>/whois on the plain and web doors: facts any door can show, rooms only those the asker shares.</summary>
public sealed class WhoisTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Plain_whois_shows_account_away_shared_rooms_idle_and_connected_since()
    {
        await using var panda = await _server.IrcAsync("Panda");
        await panda.SendAsync("JOIN #lobby,#tea");
        await panda.SendAsync("AWAY :eating bamboo");
        await panda.IrcBarrierAsync();
        await using var asker = await _server.JoinAsync("asker");
        await asker.SendAsync("/whois PANDA");
        Assert.Equal("* Panda, a guest", await asker.NextLineAsync());
        Assert.Equal("*   away: eating bamboo", await asker.NextLineAsync());
        Assert.Equal("*   rooms you share: #lobby", await asker.NextLineAsync());
        Assert.Matches(@"^\*   idle \d+s, connected since \d{4}-\d\d-\d\d \d\d:\d\d UTC$", await asker.NextLineAsync());

        await using var bear = await _server.RegisteredAsync("Bear", "bamboo-forest-42");
        await bear.SendAsync("/join #den");
        await bear.LinesUntilBarrierAsync();
        await asker.LinesUntilBarrierAsync(); // Bear came and went
        await asker.SendAsync("/whois bear");
        Assert.Equal("* Bear, logged in as Bear", await asker.NextLineAsync());
        Assert.Equal("*   shares no room with you", await asker.NextLineAsync());
        await asker.NextLineAsync(); // idle and connected since

        await asker.SendAsync("/whois nobody");
        Assert.StartsWith("! No one called \"nobody\" is online.", await asker.NextLineAsync());
        await asker.SendAsync("/whois");
        Assert.Equal("! Usage: /whois NAME", await asker.NextLineAsync());
    }

    [Fact]
    public async Task Web_whois_answers_with_the_same_facts_as_a_notice()
    {
        await using var panda = await _server.JoinAsync("Panda");
        await using var ws = await WsClient.OpenAsync(_server.Http.Port);
        await ws.Send(new { type = "hello", name = "webby" });
        await ws.Expect("welcome");
        await ws.Send(new { type = "command", text = "/whois panda" });
        var text = (await ws.Expect("notice")).GetProperty("text").GetString()!;
        Assert.Matches(new Regex(@"^\* Panda, a guest\n\*   rooms you share: #lobby\n\*   idle \d+s, connected since .+ UTC$"), text);
    }
}
