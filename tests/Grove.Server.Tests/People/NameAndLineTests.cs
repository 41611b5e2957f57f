using Grove.Testing;

namespace Grove.Server.Tests.People;

/// <summary>
/// What a person types that is not quite a message or a free name, over real sockets: an account's name that is
/// online, and a line of only spaces, on every door.
/// </summary>
public sealed class NameAndLineTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task A_registered_name_that_is_online_gets_one_clear_line_and_its_password_joins_them()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.RegisteredAsync("alice", Password);

        await using var guest = await LineClient.ConnectAsync(server.Plain);
        await guest.ExpectAsync("^What is your name\\?$");
        await guest.SendAsync("Alice");
        Assert.Equal("The name alice is registered. Type its password to join alice, who is online with this account (or an empty line to choose another name):",
            await guest.NextLineAsync());
        await guest.SendAsync(Password);
        await guest.ExpectAsync("^\\* You are logged in as alice\\.$");
        await guest.ExpectAsync("^\\* Welcome, alice! You are in #lobby; nobody else is here yet\\.");

        // The web door answers a hello without a password with the same meaning, marked "online".
        await using var web = await WsClient.OpenAsync(server.Http.Port);
        await web.Send(new { type = "hello", name = "alice" });
        var error = await web.Expect("error");
        Assert.Equal("name_registered", error.GetProperty("code").GetString());
        Assert.Equal("alice", error.GetProperty("subject").GetString());
        Assert.True(error.GetProperty("online").GetBoolean());
        Assert.Equal("alice is online with this account. Give its password to join them, or choose another name.", error.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_line_of_only_spaces_is_nothing_to_send_on_every_door()
    {
        await using var server = await TestServer.StartAsync();
        await using var bob = await server.JoinAsync("bob");
        await using var alice = await server.JoinAsync("alice");
        await using var carol = await server.IrcAsync("carol");
        await carol.SendAsync("JOIN #lobby");
        await carol.ExpectAsync(" 366 carol #lobby ");
        await using var web = await WsClient.OpenAsync(server.Http.Port);
        await web.Send(new { type = "hello", name = "dave" });
        await web.Expect("joined");

        // The plain door drops it without a word, like an empty line.
        await alice.SendAsync("   ");
        await alice.SendAsync("\t ");
        await alice.SendAsync("after spaces");
        var aliceSaw = await alice.LinesUntilBarrierAsync();
        Assert.DoesNotContain(aliceSaw, l => l.StartsWith('!'));
        await bob.ExpectAsync("^alice: after spaces$");

        // IRC: no text to send, as for an empty one.
        await carol.SendAsync("PRIVMSG #lobby :   ");
        await carol.ExpectAsync(" 412 carol :No text to send$");
        await carol.SendAsync("PRIVMSG bob :   ");
        await carol.ExpectAsync(" 412 carol :No text to send$");
        await carol.SendAsync("PRIVMSG #lobby :after spaces");
        await bob.ExpectAsync("^carol: after spaces$");

        // Web: typed in the input box it is dropped; sent as a message it is refused as empty.
        await web.Send(new { type = "command", room = "#lobby", text = "    " });
        await web.Send(new { type = "say", room = "#lobby", text = "  " });
        Assert.Equal("empty_message", (await web.Expect("error")).GetProperty("code").GetString());
        await web.Send(new { type = "say", room = "#lobby", text = "after spaces" });
        await bob.ExpectAsync("^dave: after spaces$");

        // Nothing of spaces reached bob before the real messages.
        Assert.DoesNotContain(bob.Seen, l => l.StartsWith("alice:", StringComparison.Ordinal) && l != "alice: after spaces");
        Assert.DoesNotContain(bob.Seen, l => l.StartsWith("carol:", StringComparison.Ordinal) && l != "carol: after spaces");
        Assert.DoesNotContain(bob.Seen, l => l.StartsWith("dave:", StringComparison.Ordinal) && l != "dave: after spaces");
        Assert.DoesNotContain(bob.Seen, l => l.StartsWith("[private]", StringComparison.Ordinal));
    }
}
