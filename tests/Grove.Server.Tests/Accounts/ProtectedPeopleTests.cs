using Grove.Testing;

namespace Grove.Server.Tests.Accounts;

/// <summary>
/// A room operator's powers stop at the room's registered owner and at server operators, over real sockets on the
/// plain and IRC doors.
/// </summary>
public sealed class ProtectedPeopleTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task A_room_operator_cannot_kick_ban_mute_or_deop_the_owner_or_a_server_operator()
    {
        // A server operator's account is made on the machine (grove account create), never from a door.
        using var folder = new TempFolder();
        TestServer.CreateAccount(folder, "root", Password);
        await using var server = await TestServer.StartAsync(o => o.ServerOperators = "root", folder);
        await using var alice = await server.RegisteredAsync("alice", Password);
        await alice.SendAsync("/join #mod");
        await alice.ExpectAsync("^\\* You joined #mod");
        await alice.SendAsync("/room register");
        await alice.ExpectAsync("^\\* #mod is registered to your account alice");
        await using var root = await server.LoggedInAsync("root", Password);
        await root.SendAsync("/join #mod");
        await root.ExpectAsync("^\\* You joined #mod");
        await using var carol = await server.JoinAsync("carol");
        await carol.SendAsync("/join #mod");
        await carol.ExpectAsync("^\\* You joined #mod");
        await using var bob = await server.IrcAsync("bob");
        await bob.SendAsync("JOIN #mod");
        await bob.ExpectAsync(" 366 bob #mod ");
        await alice.SendAsync("/op bob");
        await bob.ExpectAsync("^:alice!\\S+ MODE #mod \\+o bob$");

        // bob, a room operator, tries everything on the owner and on the server operator: each is refused.
        foreach (var target in new[] { "alice", "root" })
        {
            await bob.SendAsync($"KICK #mod {target} :out");
            await bob.ExpectAsync($" 482 bob #mod :{target} (owns #mod|is a server operator): room operators cannot kick, ban, mute or deop them\\.$");
            await bob.SendAsync($"MODE #mod -o {target}");
            await bob.ExpectAsync($" 482 bob #mod :{target} (owns #mod|is a server operator)");
            await bob.SendAsync($"MODE #mod +b {target}!*@*");
            await bob.ExpectAsync($" 482 bob #mod :{target} (owns #mod|is a server operator)");
            await bob.SendAsync($"MODE #mod +q $a:{target}");
            await bob.ExpectAsync($" 482 bob #mod :{target} (owns #mod|is a server operator)");
        }
        // The plain door's words for the same, from a plain-door operator.
        await alice.SendAsync("/op carol");
        await carol.ExpectAsync("^\\* alice sets mode \\+o carol on #mod$");
        foreach (var command in new[] { "/kick root", "/ban root", "/mute root", "/deop root", "/kick alice", "/ban alice", "/mute alice", "/deop alice" })
        {
            await carol.SendAsync(command);
            await carol.ExpectAsync("^! (alice owns #mod|root is a server operator): room operators cannot kick, ban, mute or deop them\\.$");
        }

        // Both are still in the room, still operators, and still heard.
        var aliceSaw = await alice.LinesUntilBarrierAsync();
        Assert.DoesNotContain(aliceSaw, l => l.Contains("kicked") || l.Contains("sets mode -o") || l.Contains("+b") || l.Contains("+q"));
        await alice.SendAsync("still here");
        await carol.ExpectAsync("^alice: still here$");
        await root.SendAsync("me too");
        await carol.ExpectAsync("^root: me too$");
        await bob.SendAsync("NAMES #mod");
        await bob.ExpectAsync(" 353 bob = #mod :(?=.*@alice)(?=.*\\broot\\b)");

        // Anyone else is still theirs to kick; the owner answers to a server operator.
        await bob.SendAsync("KICK #mod carol :out");
        await carol.ExpectAsync("^\\* carol was kicked from #mod by bob \\(out\\)$");
        await root.SendAsync("/deop alice");
        await alice.ExpectAsync("^\\* root sets mode -o alice on #mod$");
    }
}
