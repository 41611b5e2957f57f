using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

public sealed class MessageTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Privmsg_and_notice_reach_channels_and_nicks_and_their_errors_are_411_412_401_407()
    {
        await using var a = await _server.IrcAsync("Ann");
        await using var b = await _server.IrcAsync("Bob");
        await a.SendAsync("JOIN #talk");
        await a.IrcBarrierAsync();
        await b.SendAsync("JOIN #talk");
        await a.ExpectAsync("^:Bob!~bob@irc\\.grove JOIN #talk$");
        await a.SendAsync("PRIVMSG #talk :hello channel 👋");
        await b.ExpectAsync("^:Ann!~ann@irc\\.grove PRIVMSG #talk :hello channel 👋$");
        await a.SendAsync("NOTICE #talk :a notice");
        await b.ExpectAsync("^:Ann!~ann@irc\\.grove NOTICE #talk :a notice$");
        await a.SendAsync("PRIVMSG bob :just you");
        await b.ExpectAsync("^:Ann!~ann@irc\\.grove PRIVMSG Bob :just you$");
        await a.SendAsync("PRIVMSG #talk :\u0001ACTION dances\u0001");
        await b.ExpectAsync("^:Ann!~ann@irc\\.grove PRIVMSG #talk :\u0001ACTION dances\u0001$");
        // ERR_NORECIPIENT 411, ERR_NOTEXTTOSEND 412, ERR_NOSUCHNICK 401.
        await a.SendAsync("PRIVMSG");
        Assert.Equal(":test.grove 411 Ann :No recipient given (PRIVMSG)", await a.NextLineAsync());
        await a.SendAsync("PRIVMSG Bob");
        Assert.Equal(":test.grove 412 Ann :No text to send", await a.NextLineAsync());
        await a.SendAsync("PRIVMSG Nobody :hi");
        Assert.Equal(":test.grove 401 Ann Nobody :No such nick/channel", await a.NextLineAsync());
        // TARGMAX=PRIVMSG:4 - the fifth target gets ERR_TOOMANYTARGETS 407.
        await a.SendAsync("PRIVMSG Bob,Bob,Bob,Bob,Bob :many");
        Assert.StartsWith(":test.grove 407 Ann Bob :Too many targets", await a.NextLineAsync());
        for (var i = 0; i < 4; i++) await b.ExpectAsync("^:Ann!~ann@irc\\.grove PRIVMSG Bob :many$");
    }

    [Fact]
    public async Task A_line_over_512_bytes_gets_417_and_is_dropped_but_tags_may_add_8191()
    {
        await using var a = await _server.IrcAsync("Ann");
        await using var b = await _server.IrcAsync("Bob");
        // 512 bytes including CR LF is the limit of what Bob receives: ":Ann!~ann@irc.grove PRIVMSG Bob :" and CR LF
        // are 35 bytes, so 477 bytes of text fit; one more is refused (ircdocs ERR_INPUTTOOLONG allows it).
        await a.SendAsync("PRIVMSG Bob :" + new string('x', 477));
        await b.ExpectAsync($"^:Ann!~ann@irc\\.grove PRIVMSG Bob :x{{477}}$");
        await a.SendAsync("PRIVMSG Bob :" + new string('z', 478));
        Assert.StartsWith(":test.grove 417 Ann :Input line was too long", await a.NextLineAsync());
        // 512 bytes including CR LF is the limit of a line from a client: "PRIVMSG Bob :" is 13 bytes.
        await a.SendAsync("PRIVMSG Bob :" + new string('y', 498));
        // ERR_INPUTTOOLONG 417 (modern.ircdocs.horse): "Indicates a given line does not follow the specified size limits."
        Assert.Equal(":test.grove 417 Ann :Input line was too long", await a.NextLineAsync());
        await a.SendAsync("@+draft/example=" + new string('t', 4000) + " PRIVMSG Bob :tagged");
        await b.ExpectAsync("^:Ann!~ann@irc\\.grove PRIVMSG Bob :tagged$");
        await a.SendAsync("@+x=" + new string('t', 9000) + " PRIVMSG Bob :too many tags");
        Assert.Equal(":test.grove 417 Ann :Input line was too long", await a.NextLineAsync());
        Assert.DoesNotContain(await b.IrcBarrierAsync(), l => l.Contains('y') || l.Contains('z') || l.Contains("too many tags"));
    }

    [Fact]
    public async Task Cr_lf_and_nul_from_one_person_never_reach_another_persons_line()
    {
        await using var a = await _server.IrcAsync("Ann");
        await using var b = await _server.IrcAsync("Bob");
        // A bare CR inside a line (the line ends at LF) and a NUL: neither may split or cut Bob's line.
        await a.SendRawAsync(Encoding.UTF8.GetBytes("PRIVMSG Bob :one\rQUIT :forged\0two\r\n"));
        var line = await b.ExpectAsync("^:Ann!");
        Assert.Equal(":Ann!~ann@irc.grove PRIVMSG Bob :one QUIT :forged two", line);
        Assert.DoesNotContain(await b.IrcBarrierAsync(), l => l.StartsWith("QUIT"));
    }

    [Fact]
    public async Task Away_sets_305_306_and_privmsg_to_an_away_person_answers_301()
    {
        await using var a = await _server.IrcAsync("Ann");
        await using var b = await _server.IrcAsync("Bob");
        await b.SendAsync("AWAY :gone fishing");
        Assert.Equal(":test.grove 306 Bob :You have been marked as being away", await b.NextLineAsync());
        await a.SendAsync("PRIVMSG Bob :are you there?");
        Assert.Equal(":test.grove 301 Ann Bob :gone fishing", await a.NextLineAsync());
        await b.SendAsync("AWAY");
        await b.ExpectAsync("^:test\\.grove 305 Bob :You are no longer marked as being away$");
    }

    [Fact]
    public async Task Nick_change_is_seen_by_channel_members_and_433_refuses_a_taken_one()
    {
        await using var a = await _server.IrcAsync("Ann");
        await using var b = await _server.IrcAsync("Bob");
        await a.SendAsync("JOIN #n");
        await a.IrcBarrierAsync();
        await b.SendAsync("JOIN #n");
        await a.ExpectAsync("^:Bob!~bob@irc\\.grove JOIN #n$");
        await b.SendAsync("NICK Ann");
        await b.ExpectAsync("^:test\\.grove 433 Bob Ann :Nickname is already in use$");
        await b.SendAsync("NICK Robert");
        Assert.Equal(":Bob!~bob@irc.grove NICK Robert", await b.NextLineAsync());
        await a.ExpectAsync("^:Bob!~bob@irc\\.grove NICK Robert$");
    }

    [Fact]
    public async Task Unknown_commands_get_421()
    {
        await using var a = await _server.IrcAsync("Ann");
        await a.SendAsync("FROBNICATE now");
        // ERR_UNKNOWNCOMMAND 421: "Returned to a registered client to indicate that the command sent is unknown by the server."
        Assert.Equal(":test.grove 421 Ann FROBNICATE :Unknown command", await a.NextLineAsync());
    }
}
