using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

public sealed class QueryAndServerTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o =>
        o.Operators = [new Grove.Server.Hosting.OperatorAccount { Name = "root", Password = "s3cret" }]);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Who_whois_whowas_ison_and_userhost_describe_people_on_every_door()
    {
        await using var a = await _server.IrcAsync("Ann");
        await using var plain = await _server.JoinAsync("pat");
        await a.SendAsync("JOIN #lobby");
        await a.IrcBarrierAsync();
        // RPL_WHOREPLY 352: "<channel> <user> <host> <server> <nick> ( "H" / "G" > ["*"] [ ( "@" / "+" ) ] :<hopcount> <real name>"
        await a.SendAsync("WHO #lobby");
        var who = await a.IrcBarrierAsync();
        Assert.Contains(":test.grove 352 Ann #lobby ~ann irc.grove test.grove Ann H :0 Real Ann", who);
        Assert.Contains(":test.grove 352 Ann #lobby pat plain.grove test.grove pat H :0 pat", who);
        Assert.Equal(":test.grove 315 Ann #lobby :End of WHO list", who[^1]);

        await a.SendAsync("WHOIS pat");
        var whois = await a.IrcBarrierAsync();
        Assert.Contains(":test.grove 311 Ann pat pat plain.grove * :pat", whois);
        Assert.Contains(":test.grove 319 Ann pat :#lobby", whois);
        Assert.Contains(":test.grove 312 Ann pat test.grove :Grove (connected with the plain text door)", whois);
        Assert.Equal(":test.grove 318 Ann pat :End of /WHOIS list", whois[^1]);
        await a.SendAsync("WHOIS ghost");
        Assert.Equal(":test.grove 401 Ann ghost :No such nick/channel", await a.NextLineAsync());
        Assert.Equal(":test.grove 318 Ann ghost :End of /WHOIS list", await a.NextLineAsync());

        await a.SendAsync("ISON pat ghost Ann");
        Assert.Equal(":test.grove 303 Ann :pat Ann", await a.NextLineAsync());
        await a.SendAsync("USERHOST pat Ann");
        Assert.Equal(":test.grove 302 Ann :pat=+pat@plain.grove Ann=+~ann@irc.grove", await a.NextLineAsync());

        await plain.SendAsync("/quit");
        await a.ExpectAsync("^:pat!pat@plain\\.grove QUIT :quit$");
        await a.SendAsync("WHOWAS pat");
        Assert.Equal(":test.grove 314 Ann pat pat plain.grove * :pat", await a.NextLineAsync());
        await a.ExpectAsync("^:test\\.grove 369 Ann pat :End of WHOWAS$");
        // ERR_WASNOSUCHNICK 406: "Returned by WHOWAS to indicate there is no history information for that nickname."
        await a.SendAsync("WHOWAS neverseen");
        Assert.Equal(":test.grove 406 Ann neverseen :There was no such nickname", await a.NextLineAsync());
    }

    [Fact]
    public async Task Invisible_people_are_hidden_from_who_for_those_who_share_no_room()
    {
        await using var a = await _server.IrcAsync("Ann");
        await using var shy = await _server.IrcAsync("Shy");
        await shy.SendAsync("MODE Shy +i");
        Assert.Equal(":Shy MODE Shy +i", await shy.NextLineAsync());
        await shy.SendAsync("MODE Ann +i");
        Assert.Equal(":test.grove 502 Shy :Cant change mode for other users", await shy.NextLineAsync());
        await a.SendAsync("WHO *");
        var who = await a.IrcBarrierAsync();
        Assert.DoesNotContain(who, l => l.Contains(" Shy H"));
        Assert.Contains(who, l => l.Contains(" Ann H"));
    }

    [Fact]
    public async Task Oper_with_the_right_password_allows_kill_and_wallops_and_errors_are_464_481()
    {
        await using var op = await _server.IrcAsync("Boss");
        await using var victim = await _server.IrcAsync("Victim");
        await victim.SendAsync("KILL Boss :no");
        // ERR_NOPRIVILEGES 481: "Any command requiring operator privileges to operate MUST return this error to indicate the attempt was unsuccessful."
        Assert.Equal(":test.grove 481 Victim :Permission Denied- You're not an IRC operator", await victim.NextLineAsync());
        // ERR_PASSWDMISMATCH 464
        await op.SendAsync("OPER root wrong");
        Assert.Equal(":test.grove 464 Boss :Password incorrect", await op.NextLineAsync());
        await op.SendAsync("OPER root s3cret");
        // RPL_YOUREOPER 381
        await op.ExpectAsync("^:test\\.grove 381 Boss :You are now an IRC operator$");
        await victim.SendAsync("MODE Victim +w");
        await victim.ExpectAsync("^:Victim MODE Victim \\+w$");
        await op.SendAsync("WALLOPS :maintenance at noon");
        await victim.ExpectAsync("^:Boss!~boss@irc\\.grove WALLOPS :maintenance at noon$");
        await op.SendAsync("KILL Victim :spamming");
        var rest = await victim.ReadUntilClosedAsync();
        Assert.Contains(rest, l => l.StartsWith("ERROR :Closing Link: Victim (You were disconnected by Boss (spamming).)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Version_time_admin_info_links_and_help_answer_for_a_single_server()
    {
        await using var a = await _server.IrcAsync("Ann");
        await a.SendAsync("VERSION");
        Assert.StartsWith(":test.grove 351 Ann grove-0.1 test.grove :", await a.NextLineAsync());
        await a.ExpectAsync("^:test\\.grove 005 Ann ");
        await a.IrcBarrierAsync();
        await a.SendAsync("TIME");
        Assert.StartsWith(":test.grove 391 Ann test.grove :", await a.NextLineAsync());
        await a.SendAsync("ADMIN");
        Assert.StartsWith(":test.grove 256 Ann test.grove :", await a.NextLineAsync());
        await a.IrcBarrierAsync();
        await a.SendAsync("INFO");
        await a.ExpectAsync("^:test\\.grove 374 Ann :End of INFO list$");
        await a.SendAsync("LINKS");
        Assert.Equal(":test.grove 364 Ann test.grove test.grove :0 Grove chat server", await a.NextLineAsync());
        Assert.Equal(":test.grove 364 Ann services.grove test.grove :1 Grove services", await a.NextLineAsync());
        Assert.Equal(":test.grove 365 Ann * :End of /LINKS list", await a.NextLineAsync());
        // HELP: RPL_HELPSTART 704, RPL_HELPTXT 705, RPL_ENDOFHELP 706; ERR_HELPNOTFOUND 524.
        await a.SendAsync("HELP JOIN");
        Assert.StartsWith(":test.grove 704 Ann JOIN :JOIN <#room>", await a.NextLineAsync());
        Assert.StartsWith(":test.grove 705 Ann JOIN :", await a.NextLineAsync());
        Assert.Equal(":test.grove 706 Ann JOIN :End of /HELP", await a.NextLineAsync());
        await a.SendAsync("HELP NOPE");
        Assert.Equal(":test.grove 524 Ann NOPE :No help available on this topic", await a.NextLineAsync());
    }
}
