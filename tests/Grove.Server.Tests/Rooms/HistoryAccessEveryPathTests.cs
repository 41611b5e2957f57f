using System.Net;
using System.Text.Json;
using Grove.Testing;

namespace Grove.Server.Tests.Rooms;

/// <summary>
/// docs/protocol.md, "Who may read history (every door)": "The same rules hold for the join replay, `/history`,
/// `CHATHISTORY` (including `TARGETS`), the web `history` request and the `/api`." Each path is asked, by someone who
/// may read neither, for a secret room's history and for a private conversation that was someone else's: the room is
/// refused exactly as a room that does not exist, and the conversation shows nothing.
/// </summary>
public sealed class HistoryAccessEveryPathTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string RoomSecret = "the hidden room's secret";
    private const string PrivateSecret = "the private secret";
    private const string HistoryCaps = "draft/chathistory batch server-time message-tags";

    /// <summary>Two answers are the same refusal when they differ only by the room's name.</summary>
    private static void SameRefusal(string forMissing, string forHidden) =>
        Assert.Equal(forMissing.Replace("#nosuchroom", "#hidden"), forHidden);

    private static void NothingLeaked(IEnumerable<string> seen) =>
        Assert.DoesNotContain(seen, l => l.Contains(RoomSecret) || l.Contains(PrivateSecret));

    [Fact]
    public async Task Every_path_refuses_a_secret_room_as_a_missing_one_and_shows_nobody_elses_conversation()
    {
        await using var owner = await _server.JoinAsync("hiowner");
        await owner.SendAsync("/join #hidden");
        await owner.SendAsync("/mode #hidden +s");
        await owner.ExpectAsync("^\\* hiowner sets mode \\+s");
        await owner.SendAsync(RoomSecret);
        await owner.LinesUntilBarrierAsync();
        await using var bob = await _server.JoinAsync("hibob");
        await using (var pal = await _server.JoinAsync("hipal"))
        {
            await pal.SendAsync($"/msg hibob {PrivateSecret}");
            await bob.ExpectAsync(PrivateSecret);
            await pal.SendAsync("/quit");
            await bob.ExpectAsync("^\\* hipal left");
        }

        // Plain /history, as whoever takes the name of the guest who had the conversation.
        await using (var plain = await _server.JoinAsync("hipal"))
        {
            await plain.SendAsync("/history #hidden");
            var hidden = await plain.ExpectAsync("^! ");
            await plain.SendAsync("/history #nosuchroom");
            SameRefusal(await plain.ExpectAsync("^! "), hidden);
            await plain.SendAsync("/history hibob");
            Assert.Equal("* No older messages with hibob.", await plain.ExpectAsync("^\\* No older|^\\[history"));
            NothingLeaked(plain.Seen);
            await plain.SendAsync("/quit");
            await bob.ExpectAsync("^\\* hipal left");
        }

        // IRC CHATHISTORY.
        await using (var irc = await LineClient.IrcWithCapsAsync(_server.Irc, "hipal", HistoryCaps))
        {
            await irc.SendAsync("JOIN #lobby");
            await irc.IrcBarrierAsync();
            await irc.SendAsync("CHATHISTORY LATEST #hidden * 10");
            var hidden = await irc.NextLineAsync();
            Assert.Contains(" FAIL CHATHISTORY INVALID_TARGET ", hidden);
            await irc.SendAsync("CHATHISTORY LATEST #nosuchroom * 10");
            SameRefusal(await irc.NextLineAsync(), hidden);
            await irc.SendAsync("CHATHISTORY LATEST hibob * 10");
            await irc.ExpectAsync("BATCH \\+\\S+ chathistory hibob$");
            Assert.StartsWith(":test.grove BATCH -", await irc.NextLineAsync());
            NothingLeaked(irc.Seen);
            await irc.SendAsync("QUIT");
            await bob.ExpectAsync("^\\* hipal left");
        }

        // The web door's history request.
        await using (var web = await WsClient.OpenAsync(_server.Http.Port))
        {
            await web.Send(new { type = "hello", name = "hipal" });
            await web.Expect("welcome");
            await web.Send(new { type = "history", target = "#hidden", limit = 50 });
            var hidden = (await web.Expect("error")).GetRawText();
            await web.Send(new { type = "history", target = "#nosuchroom", limit = 50 });
            SameRefusal((await web.Expect("error")).GetRawText(), hidden);
            await web.Send(new { type = "history", target = "hibob", limit = 50 });
            JsonElement h;
            do h = await web.Expect("history"); while (h.GetProperty("target").GetString() != "hibob");
            Assert.Equal(0, h.GetProperty("messages").GetArrayLength());
        }
        await bob.ExpectAsync("^\\* hipal left");

        // The public API: nobody asks, so a secret room is no public room, and no private conversation is one either.
        using var http = new HttpClient();
        async Task<string> Get(string path)
        {
            using var response = await http.GetAsync(new Uri(_server.HttpUri, path));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
        var api = await Get("api/rooms/hidden/messages");
        SameRefusal(await Get("api/rooms/nosuchroom/messages"), api);
        NothingLeaked([api, await Get("api/rooms/hibob/messages"), await Get("api/rooms/hipal/messages")]);
    }
}
