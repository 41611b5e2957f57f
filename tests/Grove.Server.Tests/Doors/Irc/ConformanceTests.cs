using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>What the conformance suite (irctest, core profile) found missing, each checked over real sockets.</summary>
public sealed class ConformanceTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<LineClient> InRoomAsync(string nick, string room, string? caps = null)
    {
        var c = caps is null ? await _server.IrcAsync(nick) : await LineClient.IrcWithCapsAsync(_server.Irc, nick, caps);
        await c.SendAsync($"JOIN {room}");
        await c.ExpectAsync($" 366 {nick} ");
        await c.IrcBarrierAsync();
        return c;
    }

    [Fact]
    public async Task Part_reason_reaches_the_one_leaving_and_the_others()
    {
        // RFC 2812 3.2.2: "If a "Part Message" is given, this will be sent instead of the default message".
        await using var a = await InRoomAsync("pa", "#p");
        await using var b = await InRoomAsync("pb", "#p");
        await a.IrcBarrierAsync();
        await a.SendAsync("PART #p :bye everyone");
        await a.ExpectAsync("^:pa!~pa@irc\\.grove PART #p :bye everyone$");
        await b.ExpectAsync("^:pa!~pa@irc\\.grove PART #p :bye everyone$");
    }

    [Fact]
    public async Task Invalid_utf8_is_a_FAIL_without_standard_replies_and_a_latin1_realname_still_registers()
    {
        // UTF8ONLY: invalid UTF-8 gets the FAIL INVALID_UTF8 standard reply; irctest: a Latin-1 realname registers.
        await using var c = await _server.IrcAsync("u8");
        await c.SendRawAsync([.. "PRIVMSG u8 hi"u8, 0xaa, .. "\r\n"u8]);
        Assert.StartsWith(":test.grove FAIL PRIVMSG INVALID_UTF8 :", await c.NextLineAsync());
        await using var legacy = await LineClient.ConnectAsync(_server.Irc);
        await legacy.SendAsync("NICK latin");
        await legacy.SendRawAsync([.. "USER username * * :i"u8, 0xe8, .. "rc"u8, 0xe9, .. "\r\n"u8]);
        await legacy.ExpectAsync("^:test\\.grove 001 latin ");
    }

    [Fact]
    public async Task Tagmsg_carries_a_msgid_client_tags_past_4096_bytes_are_417_and_so_is_a_line_too_long_to_relay()
    {
        // message-tags: "Clients MUST NOT send messages with tag data exceeding 4096 bytes"; msgid on every message.
        await using var alice = await InRoomAsync("alice", "#t", "message-tags echo-message");
        await using var bob = await InRoomAsync("bob", "#t", "message-tags");
        await alice.IrcBarrierAsync();
        await alice.SendAsync("@+baz=" + new string('a', 4090 - 6) + " TAGMSG #t");
        var relay = await bob.ExpectAsync(" TAGMSG #t$");
        Assert.Matches("^@(\\S*;)?msgid=t[0-9a-f]{32}[; ]", relay);
        Assert.Contains("+baz=" + new string('a', 4084), relay);
        await alice.ExpectAsync(" TAGMSG #t$");
        await alice.SendAsync("@foo=bar;+baz=" + new string('a', 4082) + " TAGMSG #t");
        Assert.Equal(":test.grove 417 alice :Input line was too long", await alice.NextLineAsync());
        // ircdocs ERR_INPUTTOOLONG: a line that would pass 512 bytes once the sender's prefix is added is refused.
        await alice.SendAsync("PRIVMSG #t " + new string('b', 496));
        Assert.StartsWith(":test.grove 417 alice :Input line was too long", await alice.NextLineAsync());
        Assert.DoesNotContain(await bob.IrcBarrierAsync(), l => l.Contains("PRIVMSG"));
    }

    [Fact]
    public async Task Someone_away_who_joins_is_followed_by_their_AWAY_for_away_notify()
    {
        // away-notify: "when a user who is away joins a channel, the server MUST send an AWAY message".
        await using var w = await InRoomAsync("watcher", "#aw", "away-notify");
        await using var b = await _server.IrcAsync("lunchy");
        await b.SendAsync("AWAY :at lunch");
        await b.SendAsync("JOIN #aw");
        await w.ExpectAsync("^:lunchy!~lunchy@irc\\.grove JOIN #aw$");
        Assert.Equal(":lunchy!~lunchy@irc.grove AWAY :at lunch", await w.NextLineAsync());
    }

    [Fact]
    public async Task A_change_of_case_says_nothing_to_monitor_and_a_real_change_says_offline()
    {
        // irctest (Ergo #1076): "nickname changes must trigger RPL_MONOFFLINE"; "no numerics for a case change".
        await using var w = await _server.IrcAsync("mon");
        await w.SendAsync("MONITOR + qux");
        await w.ExpectAsync(" 731 mon :qux$");
        await using var b = await _server.IrcAsync("baz");
        await b.SendAsync("NICK qux");
        await w.ExpectAsync(" 730 mon :qux");
        await b.SendAsync("NICK QUX");
        await b.ExpectAsync(" NICK :?QUX$");
        await b.SendAsync("NICK other");
        await b.ExpectAsync(" NICK :?other$");
        Assert.Equal(":test.grove 731 mon :QUX", await w.NextLineAsync());
    }

    [Fact]
    public async Task Who_hides_an_invisible_user_from_masks_but_not_from_their_nick()
    {
        // modern.ircdocs: invisible users are hidden from WHO masks unless you share a channel; irctest: not from their nick.
        await using var evan = await _server.IrcAsync("evan");
        await evan.SendAsync("MODE evan +i");
        await evan.ExpectAsync(" MODE evan :?\\+i$");
        await using var s = await _server.IrcAsync("shiv");
        await s.SendAsync("WHO eva*");
        Assert.Equal(":test.grove 315 shiv eva* :End of WHO list", await s.NextLineAsync());
        await s.SendAsync("WHO evan");
        Assert.StartsWith(":test.grove 352 shiv ", await s.NextLineAsync());
    }

    [Fact]
    public async Task Lusers_max_counts_the_most_users_at_once_and_links_ends_with_the_description()
    {
        // RFC 2812 RPL_LINKS: "<mask> <server> :<hopcount> <server info>"; modern: 266 "<current> <max>".
        await using var a = await _server.IrcAsync("lu1");
        var b = await _server.IrcAsync("lu2");
        await b.SendAsync("QUIT");
        await b.ReadUntilClosedAsync();
        await b.DisposeAsync();
        await a.SendAsync("LUSERS");
        await a.ExpectAsync("^:test\\.grove 266 lu1 1 2 :Current global users 1, max 2$");
        await a.SendAsync("LINKS");
        Assert.Equal(":test.grove 364 lu1 test.grove test.grove :0 Grove chat server", await a.NextLineAsync());
        Assert.Equal(":test.grove 364 lu1 services.grove test.grove :1 Grove services", await a.NextLineAsync());
        Assert.Equal(":test.grove 365 lu1 * :End of /LINKS list", await a.NextLineAsync());
    }

    [Fact]
    public async Task Names_marks_a_secret_channel_and_a_notice_to_a_missing_channel_gets_no_reply()
    {
        // RFC 2812 RPL_NAMREPLY: "@" is used for secret channels. 3.3.2: "automatic replies MUST NEVER be sent in
        // response to a NOTICE message".
        await using var a = await InRoomAsync("sec", "#sec");
        await a.SendAsync("MODE #sec +s");
        await a.ExpectAsync(" MODE #sec \\+s$");
        await a.SendAsync("NAMES #sec");
        Assert.Equal(":test.grove 353 sec @ #sec :@sec", await a.NextLineAsync());
        await a.ExpectAsync(" 366 sec #sec ");
        await a.SendAsync("NOTICE #nowhere :hello?");
        Assert.Empty(await a.IrcBarrierAsync());
    }

    [Fact]
    public async Task Kick_of_two_nicks_sends_two_kicks_and_user_without_realname_is_461()
    {
        // RFC 2812 3.2.8: "The server MUST NOT send KICK messages with multiple channels or users to clients."
        await using var op = await InRoomAsync("kop", "#k");
        await using var bar = await InRoomAsync("kbar", "#k");
        await using var baz = await InRoomAsync("kbaz", "#k");
        await using var qux = await InRoomAsync("kqux", "#k");
        await op.SendAsync("KICK #k,#k kbar,kbaz :bye");
        await qux.ExpectAsync("^:kop!~kop@irc\\.grove KICK #k kbar :bye$");
        await qux.ExpectAsync("^:kop!~kop@irc\\.grove KICK #k kbaz :bye$");
        // modern.ircdocs USER: "If the realname is empty, ERR_NEEDMOREPARAMS (461) MUST be sent".
        await using var c = await LineClient.ConnectAsync(_server.Irc);
        await c.SendAsync("USER u 0 * :");
        Assert.Equal(":test.grove 461 * USER :Not enough parameters", await c.NextLineAsync());
    }

    [Fact]
    public async Task An_invalid_key_or_limit_is_696()
    {
        // ircdocs ERR_INVALIDMODEPARAM: "<client> <target chan/user> <mode char> <parameter> :<description>".
        await using var a = await InRoomAsync("mo", "#m");
        await a.SendAsync("MODE #m +k :with spaces");
        Assert.StartsWith(":test.grove 696 mo #m k * :", await a.NextLineAsync());
        await a.SendAsync("MODE #m +l abc");
        Assert.StartsWith(":test.grove 696 mo #m l abc :", await a.NextLineAsync());
        await a.SendAsync("MODE #m +k");
        Assert.StartsWith(":test.grove 461 mo MODE :", await a.NextLineAsync());
    }

    [Fact]
    public async Task A_labeled_message_to_yourself_labels_only_the_echo_and_a_malformed_command_gets_a_labeled_421()
    {
        // irctest labeled_responses: "When sending a PRIVMSG to self with echo-message, we only expect one message to
        // contain the label"; "this command doesn't exist, but the error response should still be labeled".
        await using var c = await LineClient.IrcWithCapsAsync(_server.Irc, "selfie", "batch labeled-response echo-message");
        await c.SendAsync("@label=12345 PRIVMSG selfie :hi");
        var lines = await c.IrcBarrierAsync();
        Assert.Equal(2, lines.Count(l => l.EndsWith(" PRIVMSG selfie :hi", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.StartsWith("@label=12345 ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("BATCH"));
        await c.SendAsync("@label=deadbeef NONEXISTENT_COMMAND");
        Assert.Equal("@label=deadbeef :test.grove 421 selfie NONEXISTENT_COMMAND :Unknown command", await c.NextLineAsync());
    }
}
