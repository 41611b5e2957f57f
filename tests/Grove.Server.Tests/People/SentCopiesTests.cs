using Grove.Testing;

namespace Grove.Server.Tests.People;

/// <summary>
/// A private message sent from one of an account's connections shows on its others, each door its own way from the
/// one event the core sends (issue #22: the core no longer picks the event by door): IRC as the message itself, as
/// bouncers do; the plain door as "[private to …]"; the browser as a private message.
/// </summary>
public sealed class SentCopiesTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task A_private_message_sent_on_one_connection_shows_on_the_account_s_others_as_each_door_shows_it()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.RegisteredAsync("alice", Password);
        await using var bob = await server.JoinAsync("bob");
        await using var irc = await OnePersonTests.IrcSaslAsync(server, "alice");
        var (plain, _) = await OnePersonTests.LoginAtPromptAsync(server, "alice");
        await using var __ = plain;
        await using var web = await WsClient.OpenAsync(server.Http.Port);
        await web.Send(new { type = "hello", name = "alice", password = Password });
        await web.Expect("welcome");

        await alice.SendAsync("/msg bob psst");
        await bob.ExpectAsync("^\\[private\\] alice: psst$");
        await irc.ExpectAsync("^:alice!\\S+ PRIVMSG bob :psst$");
        await plain.ExpectAsync("^\\[private to bob\\] alice: psst$");
        var copy = await web.Expect("private");
        Assert.Equal(("alice", "bob", "psst"), (copy.GetProperty("from").GetString(), copy.GetProperty("to").GetString(), copy.GetProperty("text").GetString()));
    }
}
