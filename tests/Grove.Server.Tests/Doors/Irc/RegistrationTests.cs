using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

public sealed class RegistrationTests : IAsyncLifetime
{
    private TestServer _server = null!;
    // The default ping interval: a second's pause on a busy machine must not ping (or close) the other tests' clients.
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Registration_sends_001_to_005_an_honest_isupport_lusers_and_the_motd()
    {
        // RFC 2812 3.1: "Upon success, the client will receive an RPL_WELCOME … message"; modern.ircdocs.horse:
        // RPL_WELCOME, RPL_YOURHOST, RPL_CREATED, RPL_MYINFO, at least one RPL_ISUPPORT, then LUSERS and MOTD.
        await using var c = await LineClient.ConnectAsync(_server.Irc);
        await c.SendAsync("PASS anything");
        await c.SendAsync("NICK Ann");
        await c.SendAsync("USER ann 0 * :Ann Example");
        Assert.Equal(":test.grove 001 Ann :Welcome to the Grove IRC Network Ann!~ann@irc.grove", await c.NextLineAsync());
        Assert.StartsWith(":test.grove 002 Ann :Your host is test.grove", await c.NextLineAsync());
        Assert.StartsWith(":test.grove 003 Ann :This server was created", await c.NextLineAsync());
        Assert.Equal(":test.grove 004 Ann test.grove grove-0.1 Biow biklmnoqstv bklovq", await c.NextLineAsync());
        var isupportLines = new List<string>();
        for (var line = await c.NextLineAsync(); !line.Contains(" 251 "); line = await c.NextLineAsync())
        {
            Assert.StartsWith(":test.grove 005 Ann ", line);
            Assert.EndsWith(":are supported by this server", line);
            isupportLines.Add(line);
        }
        var isupport = string.Join(" ", isupportLines);
        foreach (var token in new[] { "CASEMAPPING=ascii", "CHANTYPES=#", "CHANNELLEN=51", "NICKLEN=32", "TOPICLEN=390", "PREFIX=(ov)@+", "CHANMODES=bq,k,l,imnst", "EXTBAN=$,a", "NETWORK=Grove", "TARGMAX=", "KICKLEN=200", "AWAYLEN=200" })
            Assert.Contains(token, isupport);
        await c.ExpectAsync("^:test\\.grove 255 Ann ");
        await c.ExpectAsync("^:test\\.grove 375 Ann ");
        await c.ExpectAsync("^:test\\.grove 372 Ann :- Welcome to Grove\\.$");
        await c.ExpectAsync("^:test\\.grove 376 Ann :End of /MOTD command\\.$");
        await c.SendAsync("MOTD");
        await c.ExpectAsync("^:test\\.grove 375 Ann ");
        await c.SendAsync("LUSERS");
        await c.ExpectAsync("^:test\\.grove 251 Ann ");
    }

    [Fact]
    public async Task Commands_before_registration_get_451_and_nick_errors_get_431_432_433()
    {
        await using var taken = await _server.IrcAsync("Taken");
        await using var c = await LineClient.ConnectAsync(_server.Irc);
        // RFC 2812 ERR_NOTREGISTERED 451: "Returned by the server to indicate that the client MUST be registered before the server will allow it to be parsed in detail."
        await c.SendAsync("JOIN #x");
        Assert.Equal(":test.grove 451 * :You have not registered", await c.NextLineAsync());
        // ERR_NONICKNAMEGIVEN 431: "Returned when a nickname parameter expected for a command and isn't found."
        await c.SendAsync("NICK");
        Assert.Equal(":test.grove 431 * :No nickname given", await c.NextLineAsync());
        // ERR_ERRONEUSNICKNAME 432: "Returned after receiving a NICK message which contains characters which do not fall in the defined set."
        await c.SendAsync("NICK 9lives");
        Assert.StartsWith(":test.grove 432 * 9lives :Erroneous nickname", await c.NextLineAsync());
        // ERR_NICKNAMEINUSE 433: "Returned when a NICK message is processed that results in an attempt to change to a currently existing nickname."
        await c.SendAsync("NICK TAKEN");
        await c.SendAsync("USER x 0 * :X");
        Assert.Equal(":test.grove 433 * TAKEN :Nickname is already in use", await c.NextLineAsync());
        // ERR_NEEDMOREPARAMS 461
        await c.SendAsync("USER onlyone");
        Assert.Equal(":test.grove 461 * USER :Not enough parameters", await c.NextLineAsync());
        await c.SendAsync("NICK Free");
        await c.ExpectAsync("^:test\\.grove 001 Free ");
        // ERR_ALREADYREGISTRED 462: "Returned by the server to any link which tries to change part of the registered details."
        await c.SendAsync("USER again 0 * :Again");
        await c.ExpectAsync("^:test\\.grove 462 Free :You may not reregister$");
        await c.SendAsync("PASS late");
        await c.ExpectAsync("^:test\\.grove 462 Free ");
    }

    [Fact]
    public async Task Cap_ls_holds_registration_until_cap_end()
    {
        // IRCv3 capability negotiation: "the server MUST NOT complete registration until the client sends CAP END".
        await using var c = await LineClient.ConnectAsync(_server.Irc);
        await c.SendAsync("CAP LS 302");
        await c.SendAsync("NICK Capper");
        await c.SendAsync("USER c 0 * :C");
        var ls = await c.NextLineAsync();
        Assert.StartsWith(":test.grove CAP * LS :", ls);
        await c.SendAsync("CAP REQ :multi-prefix no-such-cap");
        Assert.Equal(":test.grove CAP * NAK :multi-prefix no-such-cap", await c.NextLineAsync());
        await c.SendAsync("CAP END");
        Assert.StartsWith(":test.grove 001 Capper ", await c.NextLineAsync());
    }

    [Fact]
    public async Task Ping_is_answered_with_pong_and_a_silent_client_is_pinged_then_closed()
    {
        // RFC 2812 3.7.2: "The PING command is used to test the presence of an active client … at the other end of the connection."
        // A server of its own that pings after a second of silence; 3 s to answer, so a busy test host is not cut off.
        await using var server = await TestServer.StartAsync(o => { o.PingIntervalSeconds = 1; o.PingTimeoutSeconds = 3; });
        await using var c = await server.IrcAsync("Pinger");
        await c.SendAsync("PING :token123");
        await c.ExpectAsync("^:test\\.grove PONG test\\.grove :token123$");
        await c.SendAsync("PING");
        await c.ExpectAsync("^:test\\.grove 409 Pinger :No origin specified$");
        // Silent for the ping interval (1 s here): the server sends PING; answering keeps the connection.
        await c.ExpectAsync("^PING test\\.grove$");
        await c.SendAsync("PONG test.grove");
        await c.ExpectAsync("^PING test\\.grove$");
        // Not answering: closed with a reason.
        var rest = await c.ReadUntilClosedAsync(TimeSpan.FromSeconds(20));
        Assert.Contains(rest, l => l.StartsWith("ERROR :Closing Link: Pinger (Ping timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Quit_closes_with_error_and_tells_the_channel()
    {
        await using var a = await _server.IrcAsync("Quitter");
        await using var b = await _server.IrcAsync("Stayer");
        await a.SendAsync("JOIN #room");
        await a.IrcBarrierAsync();
        await b.SendAsync("JOIN #room");
        await a.ExpectAsync("^:Stayer!~stayer@irc\\.grove JOIN #room$");
        await a.SendAsync("QUIT :off to lunch");
        var rest = await a.ReadUntilClosedAsync();
        Assert.Contains("ERROR :Closing Link: Quitter (Goodbye, Quitter!)", rest);
        await b.ExpectAsync("^:Quitter!~quitter@irc\\.grove QUIT :off to lunch$");
    }
}
