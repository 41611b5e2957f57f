using System.Net.Http.Json;
using System.Text.Json;
using Grove.Testing;

namespace Grove.Server.Tests.Accounts;

/// <summary>
/// Registered rooms and moderation over real sockets: kick, ban, mute, op, invite-only and the topic lock, enforced
/// across doors and after a restart; server operators; the audit log; no IP address in anything a user can see.
/// </summary>
public sealed class ModerationTests
{
    private const string Password = "correct horse battery";

    private static Task<LineClient> RegisteredAsync(TestServer server, string name, string password = Password) =>
        server.RegisteredAsync(name, password);

    private static async Task<LineClient> LoginAsync(TestServer server, string name)
    {
        var c = await LineClient.ConnectAsync(server.Plain);
        c.Name = name;
        await c.ExpectAsync("^What is your name\\?$");
        await c.SendAsync($"/login {name} {Password}");
        await c.ExpectAsync($"^\\* Welcome, {name}!");
        return c;
    }

    [Fact]
    public async Task Kick_ban_and_mute_in_a_registered_room_hold_on_every_door_and_after_a_restart()
    {
        using var folder = new TempFolder();
        await using (var server = await TestServer.StartAsync(null, folder))
        {
            await using var alice = await RegisteredAsync(server, "alice");
            await alice.SendAsync("/join #den");
            await alice.ExpectAsync("^\\* You joined #den");
            await alice.SendAsync("/room register");
            await alice.ExpectAsync("^\\* #den is registered to your account alice");

            await using var bob = await server.IrcAsync("bob");
            await bob.SendAsync("JOIN #den");
            await alice.ExpectAsync("^\\* bob joined #den");
            await using var carol = await RegisteredAsync(server, "carol");
            await carol.SendAsync("/join #den");
            await alice.ExpectAsync("^\\* carol joined #den");

            // Mute: bob may stay, not speak; the room does not hear him.
            await alice.SendAsync("/mute bob");
            await bob.ExpectAsync("^:alice!\\S+ MODE #den \\+q bob!\\*@\\*$");
            await bob.SendAsync("PRIVMSG #den :can you hear me");
            await bob.ExpectAsync(" 404 bob #den :Cannot send to channel \\(you are muted\\)");
            await carol.SendAsync("/unmute bob"); // carol is no operator
            await carol.ExpectAsync("^! Only operators of #den can change its modes\\.$");

            // Ban by name from a guest; ban by account for someone logged in; both kick at once.
            await alice.SendAsync("/ban bob");
            await bob.ExpectAsync("^:alice!\\S+ KICK #den bob :banned$");
            await bob.SendAsync("JOIN #den");
            await bob.ExpectAsync(" 474 bob #den ");
            await alice.SendAsync("/ban #den carol");
            await carol.ExpectAsync("^\\* carol was kicked from #den by alice \\(banned\\)$");
            await alice.SendAsync("/op carol");
            await alice.ExpectAsync("^! carol is not in #den\\.$");

            // Room settings: invite-only and the topic lock.
            await alice.SendAsync("/mode +i");
            await alice.ExpectAsync("^\\* alice sets mode \\+i on #den$");
            await alice.SendAsync("/audit");
            await alice.ExpectAsync("^\\* Audit log of #den, newest first:$");
            await alice.ExpectAsync("^\\*   .* UTC alice: mode \\(\\+i\\)$");
        }

        // After a restart: the owner is an operator again, and the bans, the mute and +i still hold.
        await using (var server = await TestServer.StartAsync(null, folder))
        {
            await using var alice = await LoginAsync(server, "alice");
            await alice.SendAsync("/join #den");
            await alice.ExpectAsync("^\\* You joined #den");
            await alice.SendAsync("/mode -i");
            await alice.ExpectAsync("^\\* alice sets mode -i on #den$");

            await using var bob = await server.IrcAsync("bob");
            await bob.SendAsync("JOIN #den");
            await bob.ExpectAsync(" 474 bob #den ");
            // Carol is banned by account: another nick does not help her.
            await using var carol = await LineClient.ConnectAsync(server.Irc);
            await carol.SendAsync("PASS :carol:" + Password);
            await carol.SendAsync("NICK caro");
            await carol.SendAsync("USER c 0 * :C");
            await carol.ExpectAsync(" 001 caro ");
            await carol.SendAsync("JOIN #den");
            await carol.ExpectAsync(" 474 caro #den ");
            await alice.SendAsync("/unban carol");
            await alice.ExpectAsync("^\\* alice sets mode -b \\$a:carol on #den$");
            await carol.SendAsync("JOIN #den");
            await carol.ExpectAsync("^:caro!\\S+ JOIN #den$");

            await using var dave = await server.JoinAsync("dave");
            await dave.SendAsync("/join #den");
            await dave.ExpectAsync("^\\* You joined #den");
            await alice.SendAsync("/mute dave");
            await alice.ExpectAsync("^\\* alice sets mode \\+q dave!\\*@\\*");
            await dave.SendAsync("anyone?");
            await dave.ExpectAsync("^! You are muted in #den\\.$");
            // The lists as IRC shows them: the ban kept from before the restart, the mute set after it.
            await bob.SendAsync("MODE #den b");
            await bob.ExpectAsync(" 367 bob #den bob!\\*@\\* alice :?\\d+$");
            await bob.ExpectAsync(" 368 bob #den :End of channel ban list$");
            await bob.SendAsync("MODE #den q");
            await bob.ExpectAsync(" 728 bob #den q dave!\\*@\\* alice :?\\d+$");
            await bob.ExpectAsync(" 729 bob #den q :End of channel quiet list$");
            // The owner's audit log survived the restart too; others may not read it.
            await alice.SendAsync("/audit #den");
            await alice.ExpectAsync("^\\*   .* UTC alice: kick bob \\(banned\\)$");
            await dave.SendAsync("/audit #den");
            await dave.ExpectAsync("^! Only the owner of #den and server operators can read its audit log\\.$");
        }
    }

    [Fact]
    public async Task An_answer_read_from_the_store_comes_before_what_the_next_line_does()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await RegisteredAsync(server, "alice");
        await alice.SendAsync("/join #den");
        await alice.SendAsync("/room register");
        await alice.ExpectAsync("^\\* #den is registered");
        // Sent together: the audit log is read after its batch is committed, and still answered before the goodbye.
        await alice.SendRawAsync(System.Text.Encoding.UTF8.GetBytes("/mode +m\n/audit\n/quit\n"));
        var lines = await alice.ReadUntilClosedAsync();
        var audit = lines.FindIndex(l => l.StartsWith("* Audit log of #den", StringComparison.Ordinal));
        var bye = lines.FindIndex(l => l.StartsWith("* Goodbye", StringComparison.Ordinal));
        Assert.True(audit >= 0 && bye > audit, string.Join(" | ", lines));
        Assert.Contains(lines, l => l.EndsWith("alice: mode (+m)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Operators_given_in_a_registered_room_keep_it_by_account_and_the_topic_lock_holds()
    {
        using var folder = new TempFolder();
        await using (var server = await TestServer.StartAsync(null, folder))
        {
            await using var alice = await RegisteredAsync(server, "alice");
            await alice.SendAsync("/join #den");
            await alice.SendAsync("/room register #den");
            await alice.ExpectAsync("^\\* #den is registered");
            await using var bob = await RegisteredAsync(server, "bob");
            await bob.SendAsync("/join #den");
            await alice.ExpectAsync("^\\* bob joined #den");
            await bob.SendAsync("/topic mine now");
            await bob.ExpectAsync("^! Only operators of #den can change its topic\\.$");
            await alice.SendAsync("/op bob");
            await bob.ExpectAsync("^\\* alice sets mode \\+o bob on #den$");
            await bob.SendAsync("/topic ours");
            await alice.ExpectAsync("^\\* bob set the topic of #den to: ours$");
        }
        await using (var server = await TestServer.StartAsync(null, folder))
        {
            await using var bob = await LoginAsync(server, "bob");
            await bob.SendAsync("/join #den");
            await bob.ExpectAsync("^\\* You joined #den");
            await bob.SendAsync("/topic still ours");
            await bob.ExpectAsync("^\\* bob set the topic of #den to: still ours$");
        }
    }

    [Fact]
    public async Task Server_operators_lock_down_ban_from_the_server_and_kill_on_every_door()
    {
        // A server operator's account is made on the machine (as grove account create does), never from a door.
        using var folder = new TempFolder();
        TestServer.CreateAccount(folder, "root", Password);
        await using var server = await TestServer.StartAsync(o => o.ServerOperators = "root", folder);
        await using var root = await server.LoggedInAsync("root", Password);
        await using var bob = await server.IrcAsync("bob");
        await using var carol = await RegisteredAsync(server, "carol");

        await carol.SendAsync("/lockdown on");
        await carol.ExpectAsync("^! Only server operators can do that\\.$");
        await root.SendAsync("/lockdown on");
        await root.ExpectAsync("^\\* Lockdown is on");
        // New guests are refused, on the plain and the IRC door; accounts still come in.
        await using (var guest = await LineClient.ConnectAsync(server.Plain))
        {
            await guest.ExpectAsync("^What is your name");
            await guest.SendAsync("dave");
            await guest.ExpectAsync("^! The server is in lockdown: only registered accounts may sign in right now");
        }
        await using (var guest = await LineClient.ConnectAsync(server.Irc))
        {
            await guest.SendAsync("NICK erin");
            await guest.SendAsync("USER e 0 * :E");
            var lines = await guest.ReadUntilClosedAsync();
            Assert.Contains(lines, l => l.Contains("lockdown"));
        }
        await using (var again = await LoginAsync(server, "carol")) { }
        await root.SendAsync("/lockdown off");
        await root.ExpectAsync("^\\* Lockdown is off");

        // A server-wide ban disconnects bob now and refuses him later; a kill ends every connection of an account.
        await root.SendAsync("/ban * bob");
        await root.ExpectAsync("^\\* bob!\\*@\\* is banned from the server\\.$");
        var bobLines = await bob.ReadUntilClosedAsync();
        Assert.Contains(bobLines, l => l.Contains("banned from this server"));
        await using (var back = await LineClient.ConnectAsync(server.Plain))
        {
            await back.ExpectAsync("^What is your name");
            await back.SendAsync("bob");
            var lines = await back.ReadUntilClosedAsync();
            Assert.Contains(lines, l => l.Contains("You are banned from this server"));
        }
        await root.SendAsync("/kill carol spam");
        var carolLines = await carol.ReadUntilClosedAsync();
        Assert.Contains(carolLines, l => l.Contains("You were disconnected by root (spam)"));
        await root.SendAsync("/audit *");
        await root.ExpectAsync("^\\*   .* UTC root: kill carol \\(spam\\)$");
    }

    [Fact]
    public async Task No_user_sees_an_ip_address_in_any_field_on_any_door()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await RegisteredAsync(server, "alice");
        await using var bob = await server.IrcAsync("bob");
        await bob.SendAsync("JOIN #lobby");
        await using var web = await WsClient.OpenAsync(server.Http.Port);
        await web.Send(new { type = "hello", name = "carol" });
        await web.Expect("welcome");

        foreach (var q in new[] { "WHOIS alice", "WHOIS carol", "WHO #lobby", "WHO * %tcuihsnfdlar,42", "NAMES #lobby", "USERHOST alice carol", "WHOWAS nobody", "LUSERS", "MOTD", "ADMIN", "INFO" })
            await bob.SendAsync(q);
        var seenByBob = await bob.IrcBarrierAsync();
        await alice.SendAsync("/who");
        await alice.SendAsync("/who #lobby");
        await alice.SendAsync("/rooms");
        var seenByAlice = await alice.LinesUntilBarrierAsync();
        await web.Send(new { type = "who", room = "#lobby" });
        await web.Send(new { type = "command", text = "/who" });
        var seenByCarol = new List<string>();
        for (var i = 0; i < 2; i++) seenByCarol.Add((await web.Expect("notice")).GetRawText());
        using var http = new HttpClient();
        var api = await http.GetStringAsync(new Uri(server.HttpUri, "/api/users"))
                  + await http.GetStringAsync(new Uri(server.HttpUri, "/api/rooms"));

        var everything = string.Join("\n", [.. bob.Seen, .. seenByBob, .. alice.Seen, .. seenByAlice, .. seenByCarol, api]);
        Assert.Contains("alice", everything);
        Assert.Matches(@" 311 bob alice \S+ plain\.grove ", everything); // a cloak, not an address
        Assert.DoesNotContain("127.0.0.1", everything);
        Assert.DoesNotContain("::1", everything);
        Assert.DoesNotContain("localhost", everything);
    }
}
