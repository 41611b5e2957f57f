using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>IRCv3 capabilities (ircv3.net). Each test quotes the specification sentence it checks.</summary>
public sealed class IrcV3Tests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<LineClient> Caps(string nick, string caps) => LineClient.IrcWithCapsAsync(_server.Irc, nick, caps);

    [Fact]
    public async Task Cap_ls_302_lists_every_capability_req_is_all_or_nothing_and_list_shows_what_is_enabled()
    {
        await using var c = await LineClient.ConnectAsync(_server.Irc);
        await c.SendAsync("CAP LS 302");
        var ls = await c.NextLineAsync();
        foreach (var cap in new[] { "message-tags", "server-time", "echo-message", "multi-prefix", "userhost-in-names", "away-notify",
                     "invite-notify", "chghost", "setname", "batch", "labeled-response", "standard-replies", "draft/chathistory", "cap-notify" })
            Assert.Matches($"[: ]{Regex.Escape(cap)}( |$)", ls);
        // "If a client requests a capability which cannot be acknowledged, the whole request MUST be rejected (NAK)."
        await c.SendAsync("CAP REQ :server-time nonsense");
        Assert.Equal(":test.grove CAP * NAK :server-time nonsense", await c.NextLineAsync());
        await c.SendAsync("CAP LIST");
        Assert.Equal(":test.grove CAP * LIST :cap-notify", await c.NextLineAsync());
        await c.SendAsync("CAP REQ :server-time echo-message");
        Assert.Equal(":test.grove CAP * ACK :server-time echo-message", await c.NextLineAsync());
        await c.SendAsync("CAP REQ :-echo-message");
        Assert.Equal(":test.grove CAP * ACK :-echo-message", await c.NextLineAsync());
        await c.SendAsync("CAP LIST");
        Assert.Equal(":test.grove CAP * LIST :cap-notify server-time", await c.NextLineAsync());
        await c.SendAsync("NICK Capper");
        await c.SendAsync("USER c 0 * :C");
        await c.SendAsync("CAP END");
        await c.ExpectAsync(" 001 Capper ");
        await c.SendAsync("JOIN #timed");
        await c.IrcBarrierAsync();
        await using var other = await _server.IrcAsync("Other");
        await other.SendAsync("JOIN #timed");
        Assert.Matches("^@time=\\S+ :Other!~other@irc\\.grove JOIN #timed$", await c.ExpectAsync(" JOIN #timed"));
    }

    [Fact]
    public async Task Server_time_and_msgid_are_the_same_for_a_message_whichever_door_it_came_through()
    {
        // server-time: "the time tag … in the format YYYY-MM-DDThh:mm:ss.sssZ"; message-ids: "msgid … MUST be unique".
        await using var a = await Caps("Ann", "server-time message-tags");
        await using var b = await Caps("Bob", "server-time message-tags");
        await using var old = await _server.IrcAsync("Old");
        await using var plain = await _server.JoinAsync("pat");
        foreach (var c in new[] { a, b, old }) { await c.SendAsync("JOIN #lobby"); await c.IrcBarrierAsync(); }
        await plain.SendAsync("from the plain door");
        var la = await a.ExpectAsync("PRIVMSG #lobby :from the plain door$");
        var lb = await b.ExpectAsync("PRIVMSG #lobby :from the plain door$");
        Assert.Matches("^@time=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z;msgid=\\d+ :pat!pat@plain\\.grove PRIVMSG #lobby :from the plain door$", la);
        Assert.Equal(la, lb);
        Assert.Equal(":pat!pat@plain.grove PRIVMSG #lobby :from the plain door", await old.ExpectAsync("from the plain door$"));
        await a.SendAsync("PRIVMSG #lobby :from IRC");
        var first = await b.ExpectAsync("PRIVMSG #lobby :from IRC$");
        var id1 = Regex.Match(la, "msgid=(\\d+)").Groups[1].Value;
        var id2 = Regex.Match(first, "msgid=(\\d+)").Groups[1].Value;
        Assert.NotEqual(id1, id2);
    }

    [Fact]
    public async Task Client_only_tags_and_tagmsg_reach_only_clients_with_message_tags()
    {
        // message-tags: "Clients that do not support message tags … MUST NOT be sent TAGMSG"; client-only tags are
        // "prefixed with +" and relayed.
        await using var a = await Caps("Ann", "message-tags");
        await using var b = await Caps("Bob", "message-tags");
        await using var old = await _server.IrcAsync("Old");
        foreach (var c in new[] { a, b, old }) { await c.SendAsync("JOIN #t"); await c.IrcBarrierAsync(); }
        await a.SendAsync("@+draft/reply=42;+example=a\\sb;server=forged PRIVMSG #t :tagged");
        var line = await b.ExpectAsync("PRIVMSG #t :tagged$");
        Assert.Contains("+draft/reply=42", line);
        Assert.Contains("+example=a\\sb", line);
        Assert.DoesNotContain("server=forged", line);
        Assert.Equal(":Ann!~ann@irc.grove PRIVMSG #t :tagged", await old.ExpectAsync("PRIVMSG #t :tagged$"));
        await a.SendAsync("@+typing=active TAGMSG #t");
        Assert.Matches("^@msgid=t[0-9a-f]{32};\\+typing=active :Ann!~ann@irc\\.grove TAGMSG #t$", await b.ExpectAsync("TAGMSG"));
        Assert.DoesNotContain(await old.IrcBarrierAsync(), l => l.Contains("TAGMSG"));
        await old.SendAsync("@+typing=active TAGMSG #t");
        Assert.Equal(":test.grove 421 Old TAGMSG :Unknown command", await old.NextLineAsync());
    }

    [Fact]
    public async Task Echo_message_returns_the_senders_own_messages_with_the_same_msgid()
    {
        // echo-message: "the server MUST send … PRIVMSG and NOTICE messages back to the client that sent them".
        await using var a = await Caps("Ann", "echo-message message-tags");
        await using var b = await Caps("Bob", "message-tags");
        await a.SendAsync("JOIN #e");
        await a.IrcBarrierAsync();
        await b.SendAsync("JOIN #e");
        await b.IrcBarrierAsync();
        await a.SendAsync("PRIVMSG #e :echo me");
        var echo = await a.ExpectAsync("PRIVMSG #e :echo me$");
        var seen = await b.ExpectAsync("PRIVMSG #e :echo me$");
        Assert.Equal(echo, seen);
        await a.SendAsync("PRIVMSG Bob :private echo");
        Assert.EndsWith(":Ann!~ann@irc.grove PRIVMSG Bob :private echo", await a.ExpectAsync("private echo$"));
        await b.SendAsync("PRIVMSG #e :no echo for Bob");
        Assert.DoesNotContain(await b.IrcBarrierAsync(), l => l.Contains("no echo for Bob"));
    }

    [Fact]
    public async Task Multi_prefix_and_userhost_in_names_change_names_and_who()
    {
        // multi-prefix: "the server MUST send all prefixes … in order of rank"; userhost-in-names: "nick!user@host".
        await using var op = await _server.IrcAsync("Op");
        await op.SendAsync("JOIN #p");
        await op.SendAsync("MODE #p +v Op");
        await op.IrcBarrierAsync();
        await using var c = await Caps("Viewer", "multi-prefix userhost-in-names");
        await c.SendAsync("NAMES #p");
        Assert.Equal(":test.grove 353 Viewer = #p :@+Op!~op@irc.grove", await c.NextLineAsync());
        await c.SendAsync("WHO #p");
        Assert.Contains(" H@+ ", await c.ExpectAsync(" 352 "));
        await using var plainNames = await _server.IrcAsync("Plainer");
        await plainNames.SendAsync("NAMES #p");
        Assert.Equal(":test.grove 353 Plainer = #p :@Op", await plainNames.NextLineAsync());
    }

    [Fact]
    public async Task Away_notify_invite_notify_and_setname_tell_the_clients_that_asked()
    {
        // away-notify: "the server MUST send an AWAY message to clients that share a channel … when a user's away status changes".
        // invite-notify: "notify channel members when a user is invited". setname: ":nick!user@host SETNAME :realname".
        await using var watcher = await Caps("Watcher", "away-notify invite-notify setname");
        await using var op = await _server.IrcAsync("Op");
        await using var plain = await _server.IrcAsync("Plain");
        await op.SendAsync("JOIN #a");
        await op.IrcBarrierAsync();
        await watcher.SendAsync("JOIN #a");
        await plain.SendAsync("JOIN #a");
        await watcher.IrcBarrierAsync();
        await plain.IrcBarrierAsync();
        await op.SendAsync("AWAY :lunch");
        Assert.Equal(":Op!~op@irc.grove AWAY :lunch", await watcher.ExpectAsync(" AWAY"));
        await op.SendAsync("AWAY");
        Assert.Equal(":Op!~op@irc.grove AWAY", await watcher.ExpectAsync(" AWAY"));
        await using var guest = await _server.IrcAsync("Guest");
        await op.SendAsync("INVITE Guest #a");
        Assert.Equal(":Op!~op@irc.grove INVITE Guest #a", await watcher.ExpectAsync(" INVITE "));
        await watcher.SendAsync("SETNAME :A New Name");
        Assert.Equal(":Watcher!~watcher@irc.grove SETNAME :A New Name", await watcher.ExpectAsync(" SETNAME "));
        await watcher.SendAsync("WHOIS Watcher");
        await watcher.ExpectAsync(" 311 Watcher Watcher ~watcher irc\\.grove \\* :A New Name$");
        Assert.DoesNotContain(await plain.IrcBarrierAsync(), l => l.Contains(" AWAY") || l.Contains(" INVITE ") || l.Contains("SETNAME"));
    }

    [Fact]
    public async Task Labeled_response_labels_one_line_acks_none_and_batches_several()
    {
        // labeled-response: "the server MUST reply with … the label tag"; "If no response is required, an ACK";
        // "If the response consists of more than one message, a batch MUST be used".
        await using var c = await Caps("Lab", "labeled-response batch echo-message");
        await c.SendAsync("@label=one PING :x");
        Assert.Equal("@label=one :test.grove PONG test.grove :x", await c.NextLineAsync());
        await c.SendAsync("@label=two AWAY");
        Assert.Equal("@label=two :test.grove 305 Lab :You are no longer marked as being away", await c.NextLineAsync());
        await c.SendAsync("@label=three MODE Lab -w");
        Assert.Equal("@label=three :test.grove ACK", await c.NextLineAsync());
        await c.SendAsync("@label=four WHOIS Lab");
        var start = await c.NextLineAsync();
        var m = Regex.Match(start, "^@label=four :test\\.grove BATCH \\+(\\S+) labeled-response$");
        Assert.True(m.Success, start);
        var id = m.Groups[1].Value;
        string line;
        var inside = 0;
        while (!(line = await c.NextLineAsync()).Contains("BATCH -"))
        {
            Assert.StartsWith($"@batch={id} :test.grove 3", line);
            inside++;
        }
        Assert.Equal($":test.grove BATCH -{id}", line);
        Assert.True(inside >= 3);
    }

    [Fact]
    public async Task Utf8only_refuses_invalid_utf8_with_fail_and_bot_mode_is_shown()
    {
        // UTF8ONLY: "the server … MAY send FAIL … INVALID_UTF8"; bot: "RPL_WHOISBOT (335)" and the "bot" message tag.
        await using var c = await Caps("Robot", "standard-replies message-tags");
        await c.SendRawAsync([.. "PRIVMSG #x :bad "u8.ToArray(), 0xFF, 0xFE, (byte)'\r', (byte)'\n']);
        Assert.Equal(":test.grove FAIL PRIVMSG INVALID_UTF8 :Message rejected: Grove accepts UTF-8 only", await c.NextLineAsync());
        await c.SendAsync("MODE Robot +B");
        Assert.Equal(":Robot MODE Robot +B", await c.NextLineAsync());
        await using var other = await Caps("Human", "message-tags");
        await other.SendAsync("WHOIS Robot");
        await other.ExpectAsync(" 335 Human Robot :is a bot$");
        await c.SendAsync("PRIVMSG Human :beep");
        Assert.Matches("^@msgid=\\d+;bot :Robot!~robot@irc\\.grove PRIVMSG Human :beep$", await other.ExpectAsync("beep$"));
    }

    [Fact]
    public async Task Monitor_reports_presence_and_enforces_its_limit()
    {
        // MONITOR: "RPL_MONONLINE (730)", "RPL_MONOFFLINE (731)", "RPL_MONLIST (732)", "RPL_ENDOFMONLIST (733)", "ERR_MONLISTFULL (734)".
        await using var w = await _server.IrcAsync("Watcher");
        await w.SendAsync("MONITOR + Friend,Absent");
        Assert.Equal(":test.grove 731 Watcher :Friend,Absent", await w.NextLineAsync());
        await using var friend = await _server.JoinAsync("Friend");
        Assert.Equal(":test.grove 730 Watcher :Friend!Friend@plain.grove", await w.NextLineAsync());
        await w.SendAsync("MONITOR L");
        Assert.Equal(":test.grove 732 Watcher :friend,absent", await w.NextLineAsync());
        Assert.Equal(":test.grove 733 Watcher :End of MONITOR list", await w.NextLineAsync());
        await friend.SendAsync("/quit");
        Assert.Equal(":test.grove 731 Watcher :Friend", await w.NextLineAsync());
        await w.SendAsync("MONITOR C");
        await w.SendAsync("MONITOR + " + string.Join(',', Enumerable.Range(0, 101).Select(i => $"n{i}")));
        Assert.StartsWith(":test.grove 731 Watcher :n0,n1,", await w.NextLineAsync());
        Assert.Equal(":test.grove 734 Watcher 100 n100 :Monitor list is full.", await w.NextLineAsync());
    }

    [Fact]
    public async Task Whox_statusmsg_and_elist()
    {
        await using var op = await _server.IrcAsync("Op");
        await using var member = await _server.IrcAsync("Member");
        await op.SendAsync("JOIN #w");
        await op.IrcBarrierAsync();
        await member.SendAsync("JOIN #w");
        await member.IrcBarrierAsync();
        // WHOX: "RPL_WHOSPCRPL (354) … the requested fields, in the order tcuihsnfdlaor".
        await member.SendAsync("WHO #w %tcnf,42");
        Assert.Equal(":test.grove 354 Member 42 #w Op H@", await member.NextLineAsync());
        Assert.Equal(":test.grove 354 Member 42 #w Member H", await member.NextLineAsync());
        Assert.Equal(":test.grove 315 Member #w :End of WHO list", await member.NextLineAsync());
        // STATUSMSG: "PRIVMSG @#channel" reaches only members with that status or higher.
        await using var op2 = await _server.IrcAsync("Op2");
        await op2.SendAsync("JOIN #w");
        await op2.IrcBarrierAsync();
        await op.SendAsync("MODE #w +o Op2");
        await op2.ExpectAsync("MODE #w \\+o Op2$"); // applied before the status message below is sent
        await member.SendAsync("PRIVMSG @#w :ops only");
        await op.ExpectAsync(":Member!~member@irc\\.grove PRIVMSG @#w :ops only$");
        await op2.ExpectAsync(":Member!~member@irc\\.grove PRIVMSG @#w :ops only$");
        await op.SendAsync("PRIVMSG @#w :between ops");
        await op2.ExpectAsync("PRIVMSG @#w :between ops$");
        Assert.DoesNotContain(await member.IrcBarrierAsync(), l => l.Contains("between ops"));
        // ELIST=U: "LIST >n" lists channels with more than n users.
        await member.SendAsync("JOIN #small");
        await member.IrcBarrierAsync();
        await member.SendAsync("LIST >2");
        var list = await member.IrcBarrierAsync();
        Assert.Contains(list, l => l.Contains(" 322 Member #w 3 "));
        Assert.DoesNotContain(list, l => l.Contains("#small"));
    }
}
