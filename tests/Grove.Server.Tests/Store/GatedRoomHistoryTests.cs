using System.Text.Json;
using Grove.Testing;

namespace Grove.Server.Tests.Store;

/// <summary>
/// docs/protocol.md, "Who may read history": "A message sent while its room was secret, invite-only or keyed is
/// replayed only to a member who passed every one of those gates when joining, or who was already in the room when it
/// was sent."
/// </summary>
public sealed class GatedRoomHistoryTests
{
    private const string Open = "said in the open";
    private const string Secret = "the vault code is 1234";

    [Fact]
    public async Task A_message_sent_behind_gates_is_replayed_only_to_who_passed_them_even_after_a_restart()
    {
        using var folder = new TempFolder();
        await using (var first = await TestServer.StartAsync(null, folder))
        {
            await using var alice = await first.JoinAsync("alice");
            // Keys are given with IRC's JOIN.
            await using var bob = await first.IrcAsync("bob");
            await using var dave = await first.IrcAsync("dave");
            await alice.SendAsync("/join #vault2");
            await alice.SendAsync(Open);
            await alice.SendAsync("/mode #vault2 +sik sesame");
            await alice.ExpectAsync("^\\* alice sets mode \\+sik");
            await alice.SendAsync(Secret);
            // Invited, with the key: bob passed every gate and gets the message on joining.
            await alice.SendAsync("/invite bob #vault2");
            await bob.ExpectAsync(" INVITE bob :?#vault2$");
            await bob.SendAsync("JOIN #vault2 sesame");
            var bobReplay = await bob.IrcBarrierAsync();
            Assert.Contains(bobReplay, l => l.EndsWith(Secret));
            // Once the room is no longer invite-only, dave passes only the key: the earlier message is not his.
            await alice.SendAsync("/mode #vault2 -i");
            await alice.LinesUntilBarrierAsync();
            await dave.SendAsync("JOIN #vault2 sesame");
            var daveReplay = await dave.IrcBarrierAsync();
            Assert.Contains(daveReplay, l => l.EndsWith(Open));
            Assert.DoesNotContain(daveReplay, l => l.Contains("vault code"));
        }

        // After the restart #vault2 has no gates; the first to join becomes its operator.
        await using var second = await TestServer.StartAsync(null, folder);
        await using var mallory = await second.JoinAsync("mallory");
        await mallory.SendAsync("/join #vault2");
        var replay = await mallory.LinesUntilBarrierAsync();
        Assert.Contains(replay, l => l.EndsWith(Open));
        Assert.DoesNotContain(replay, l => l.Contains("vault code"));

        await using var irc = await LineClient.IrcWithCapsAsync(second.Irc, "Ivan", "draft/chathistory batch server-time message-tags");
        await irc.SendAsync("JOIN #vault2");
        await irc.SendAsync("CHATHISTORY LATEST #vault2 * 50");
        await irc.ExpectAsync("BATCH \\+\\S+ chathistory #vault2$");
        var batch = await irc.IrcBarrierAsync();
        Assert.Contains(batch, l => l.EndsWith(Open));
        Assert.DoesNotContain(batch, l => l.Contains("vault code"));

        await using var web = await WsClient.OpenAsync(second.Http.Port);
        await web.Send(new { type = "hello", name = "wendy" });
        await web.Expect("welcome");
        await web.Send(new { type = "join", room = "#vault2" });
        await web.Send(new { type = "history", target = "#vault2", limit = 50 });
        JsonElement h;
        do h = await web.Expect("history"); while (!h.TryGetProperty("older", out _));
        var texts = h.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();
        Assert.Contains(Open, texts);
        Assert.DoesNotContain(Secret, texts);

        using var http = new HttpClient();
        var api = await http.GetStringAsync(new Uri(second.HttpUri, "api/rooms/vault2/messages"));
        Assert.Contains(Open, api);
        Assert.DoesNotContain("vault code", api);

        // The room's new operator sets the same gates again and lets a friend through them: other gates, nothing older.
        await using var trent = await second.IrcAsync("trent");
        await mallory.SendAsync("/mode #vault2 +sik sesame");
        await mallory.SendAsync("/invite trent #vault2");
        await trent.ExpectAsync(" INVITE trent :?#vault2$");
        await trent.SendAsync("JOIN #vault2 sesame");
        var trentReplay = await trent.IrcBarrierAsync();
        Assert.Contains(trentReplay, l => l.EndsWith(Open));
        Assert.DoesNotContain(trentReplay, l => l.Contains("vault code"));
    }

    [Fact]
    public async Task A_registered_room_keeps_its_gates_over_a_restart_and_its_history_for_who_passes_them()
    {
        // Guards the other side: the rule must not take a registered room's history from its owner and invitees.
        const string Password = "correct horse battery";
        using var folder = new TempFolder();
        await using (var first = await TestServer.StartAsync(null, folder))
        {
            await using var alice = await first.RegisteredAsync("alice", Password);
            await alice.SendAsync("/join #keep");
            await alice.SendAsync("/room register");
            await alice.ExpectAsync("^\\* #keep is registered");
            await alice.SendAsync("/mode #keep +i");
            await alice.ExpectAsync("^\\* alice sets mode \\+i");
            await alice.SendAsync(Secret);
            await alice.LinesUntilBarrierAsync();
        }

        await using var second = await TestServer.StartAsync(null, folder);
        await using var bob = await second.IrcAsync("bob");
        await bob.SendAsync("JOIN #keep");
        await bob.ExpectAsync(" 473 bob #keep ");
        await using var owner = await LineClient.ConnectAsync(second.Plain);
        await owner.ExpectAsync("^What is your name\\?$");
        await owner.SendAsync("alice");
        await owner.ExpectAsync("^The name alice is registered\\. Type its password");
        await owner.SendAsync(Password);
        await owner.ExpectAsync("^\\* Welcome, alice!");
        await owner.SendAsync("/join #keep");
        Assert.Contains(await owner.LinesUntilBarrierAsync(), l => l.EndsWith(Secret));
        await owner.SendAsync("/invite bob #keep");
        await bob.ExpectAsync(" INVITE bob :?#keep$");
        await bob.SendAsync("JOIN #keep");
        Assert.Contains(await bob.IrcBarrierAsync(), l => l.EndsWith(Secret));
    }
}
