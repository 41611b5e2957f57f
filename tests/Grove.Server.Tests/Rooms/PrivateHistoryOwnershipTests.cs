using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Rooms;

/// <summary>
/// docs/protocol.md, "History": "A private conversation belongs to the accounts, or for a guest the connection, that
/// had it, never to a name".
/// </summary>
public sealed class PrivateHistoryOwnershipTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Password = "correct horse";
    private const string HistoryCaps = "draft/chathistory batch server-time message-tags";

    private static async Task ExchangeAsync(LineClient a, LineClient b, string text)
    {
        await a.SendAsync($"/msg {b.Name} {text} from {a.Name}");
        await b.ExpectAsync($"^\\[private\\] {a.Name}: {text} from {a.Name}$");
        await b.SendAsync($"/msg {a.Name} {text} from {b.Name}");
        await a.ExpectAsync($"^\\[private\\] {b.Name}: {text} from {b.Name}$");
    }

    /// <summary>Waits until the name is free again: its holder was in #lobby with the watcher, who sees it leave.</summary>
    private static Task LeftAsync(LineClient watcher, string name) => watcher.ExpectAsync($"^\\* {name} left");

    [Fact]
    public async Task A_guests_conversation_is_read_by_no_one_who_takes_the_name_later_on_any_door()
    {
        await using var bob = await _server.JoinAsync("pmbob");
        await using (var alice = await _server.JoinAsync("pmalice"))
        {
            await ExchangeAsync(alice, bob, "first");
            await alice.SendAsync("/quit");
            await LeftAsync(bob, "pmalice");
        }
        // pmbob had the conversation and keeps it.
        await bob.SendAsync("/history pmalice");
        Assert.EndsWith("first from pmalice", await bob.ExpectAsync("^\\[history"));
        Assert.EndsWith("first from pmbob", await bob.NextLineAsync());

        await using (var plain = await _server.JoinAsync("pmalice"))
        {
            await plain.SendAsync("/history pmbob");
            Assert.Equal("* No older messages with pmbob.", await plain.ExpectAsync("^\\* No older|^\\[history"));
            await plain.SendAsync("/quit");
            await LeftAsync(bob, "pmalice");
        }

        await using (var irc = await LineClient.IrcWithCapsAsync(_server.Irc, "pmalice", HistoryCaps))
        {
            await irc.SendAsync("JOIN #lobby");
            await irc.SendAsync("CHATHISTORY LATEST pmbob * 10");
            await irc.ExpectAsync("BATCH \\+\\S+ chathistory pmbob$");
            Assert.StartsWith(":test.grove BATCH -", await irc.NextLineAsync());
            var from = DateTimeOffset.UtcNow.AddMinutes(-5).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
            var to = DateTimeOffset.UtcNow.AddMinutes(5).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
            await irc.SendAsync($"CHATHISTORY TARGETS timestamp={from} timestamp={to} 10");
            var targets = await irc.IrcBarrierAsync();
            Assert.DoesNotContain(targets, l => l.Contains("TARGETS pmbob"));
            await irc.SendAsync("QUIT");
            await LeftAsync(bob, "pmalice");
        }

        await using (var web = await WsClient.OpenAsync(_server.Http.Port))
        {
            await web.Send(new { type = "hello", name = "pmalice" });
            await web.Expect("welcome");
            await web.Send(new { type = "history", target = "pmbob", limit = 50 });
            var h = await web.Expect("history");
            while (h.GetProperty("target").GetString() != "pmbob") h = await web.Expect("history");
            Assert.Equal(0, h.GetProperty("messages").GetArrayLength());
        }
        await LeftAsync(bob, "pmalice");

        // Registering the name later does not inherit the guest's conversation either.
        await using var owner = await _server.RegisteredAsync("pmalice", Password);
        await owner.SendAsync("/history pmbob");
        Assert.Equal("* No older messages with pmbob.", await owner.ExpectAsync("^\\* No older|^\\[history"));
    }

    [Fact]
    public async Task Accounts_keep_their_private_history_across_reconnects_and_doors()
    {
        await using var carol = await _server.RegisteredAsync("acarol", Password);
        await using (var dave = await _server.RegisteredAsync("adave", Password))
        {
            await ExchangeAsync(carol, dave, "kept");
            await dave.SendAsync("/quit");
            await LeftAsync(carol, "adave");
        }
        // Back over IRC, logged in with SASL.
        await using var irc = await LineClient.ConnectAsync(_server.Irc);
        await irc.SendAsync("CAP LS 302");
        await irc.SendAsync("NICK adave");
        await irc.SendAsync("USER adave 0 * :Dave");
        await irc.SendAsync($"CAP REQ :sasl {HistoryCaps}");
        await irc.ExpectAsync("CAP \\* ACK ");
        await irc.SendAsync("AUTHENTICATE PLAIN");
        await irc.ExpectAsync("^AUTHENTICATE \\+$");
        await irc.SendAsync("AUTHENTICATE " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0adave\0{Password}")));
        await irc.ExpectAsync(" 903 ");
        await irc.SendAsync("CAP END");
        await irc.ExpectAsync(" 001 adave ");
        await irc.SendAsync("CHATHISTORY LATEST acarol * 10");
        await irc.ExpectAsync("BATCH \\+\\S+ chathistory acarol$");
        Assert.EndsWith(":kept from acarol", await irc.NextLineAsync());
        Assert.EndsWith(":kept from adave", await irc.NextLineAsync());
    }
}
