using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

public sealed class ChannelTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Join_several_channels_the_first_person_is_operator_and_join_0_parts_all()
    {
        // RFC 2812 3.2.1: "JOIN #foo,#bar fubar,foobar"; "Note that this message accepts a special argument ("0"),
        // which is a special request to leave all channels the user is currently a member of."
        await using var a = await _server.IrcAsync("Ann");
        await a.SendAsync("JOIN #one,#two");
        await a.ExpectAsync("^:Ann!~ann@irc\\.grove JOIN #one$");
        await a.ExpectAsync("^:test\\.grove 353 Ann = #one :@Ann$");
        await a.ExpectAsync("^:test\\.grove 366 Ann #one :End of /NAMES list$");
        await a.ExpectAsync("^:Ann!~ann@irc\\.grove JOIN #two$");
        await using var b = await _server.IrcAsync("Bob");
        await b.SendAsync("JOIN #one");
        await b.ExpectAsync("^:test\\.grove 353 Bob = #one :@Ann Bob$");
        await a.SendAsync("JOIN 0");
        await a.ExpectAsync("^:Ann!~ann@irc\\.grove PART #one$");
        await a.ExpectAsync("^:Ann!~ann@irc\\.grove PART #two$");
        await b.ExpectAsync("^:Ann!~ann@irc\\.grove PART #one :Left all channels$");
    }

    [Fact]
    public async Task Part_and_its_errors_403_and_442()
    {
        await using var a = await _server.IrcAsync("Ann");
        await a.SendAsync("PART #nowhere");
        // ERR_NOSUCHCHANNEL 403: "Used to indicate the given channel name is invalid."
        Assert.Equal(":test.grove 403 Ann #nowhere :No such channel", await a.NextLineAsync());
        await using var b = await _server.IrcAsync("Bob");
        await b.SendAsync("JOIN #here");
        await b.IrcBarrierAsync();
        // ERR_NOTONCHANNEL 442: "Returned by the server whenever a client tries to perform a channel affecting command for which the client isn't a member."
        await a.SendAsync("PART #here");
        Assert.Equal(":test.grove 442 Ann #here :You're not on that channel", await a.NextLineAsync());
        await a.SendAsync("PART");
        Assert.Equal(":test.grove 461 Ann PART :Not enough parameters", await a.NextLineAsync());
    }

    [Fact]
    public async Task Topic_shows_sets_and_is_locked_to_operators_with_t()
    {
        await using var op = await _server.IrcAsync("Op");
        await using var user = await _server.IrcAsync("User");
        await op.SendAsync("JOIN #t");
        await op.IrcBarrierAsync();
        await user.SendAsync("JOIN #t");
        await user.IrcBarrierAsync();
        await user.SendAsync("TOPIC #t");
        // RPL_NOTOPIC 331
        Assert.Equal(":test.grove 331 User #t :No topic is set", await user.NextLineAsync());
        // ERR_CHANOPRIVSNEEDED 482: "Any command requiring 'chanop' privileges … MUST return this error if the client making the attempt is not a chanop on the specified channel."
        await user.SendAsync("TOPIC #t :mine now");
        Assert.Equal(":test.grove 482 User #t :You're not channel operator", await user.NextLineAsync());
        await op.SendAsync("TOPIC #t :Official topic");
        await user.ExpectAsync("^:Op!~op@irc\\.grove TOPIC #t :Official topic$");
        await user.SendAsync("TOPIC #t");
        Assert.Equal(":test.grove 332 User #t :Official topic", await user.NextLineAsync());
        await user.ExpectAsync("^:test\\.grove 333 User #t Op \\d+$");
        await op.SendAsync("MODE #t -t");
        await user.ExpectAsync("^:Op!~op@irc\\.grove MODE #t -t$");
        await user.SendAsync("TOPIC #t :open now");
        await op.ExpectAsync("^:User!~user@irc\\.grove TOPIC #t :open now$");
    }

    [Fact]
    public async Task Names_and_list_show_members_and_rooms()
    {
        await using var a = await _server.IrcAsync("Ann");
        await using var b = await _server.IrcAsync("Bob");
        await a.SendAsync("JOIN #names");
        await a.IrcBarrierAsync();
        await b.SendAsync("JOIN #names");
        await a.ExpectAsync(":Bob!~bob@irc\\.grove JOIN #names$");
        await a.SendAsync("TOPIC #names :about names");
        await a.ExpectAsync(" TOPIC #names :about names$"); // processed before Bob's barrier below
        await b.IrcBarrierAsync();
        await b.SendAsync("NAMES #names");
        Assert.Equal(":test.grove 353 Bob = #names :@Ann Bob", await b.NextLineAsync());
        Assert.Equal(":test.grove 366 Bob #names :End of /NAMES list", await b.NextLineAsync());
        await b.SendAsync("LIST");
        Assert.Equal(":test.grove 321 Bob Channel :Users  Name", await b.NextLineAsync());
        var list = await b.IrcBarrierAsync();
        Assert.Contains(":test.grove 322 Bob #names 2 :about names", list);
        Assert.Equal(":test.grove 323 Bob :End of /LIST", list[^1]);
    }

    [Fact]
    public async Task Kick_removes_a_member_and_its_errors_are_482_441_401()
    {
        await using var op = await _server.IrcAsync("Op");
        await using var victim = await _server.IrcAsync("Victim");
        await using var outsider = await _server.IrcAsync("Outsider");
        await op.SendAsync("JOIN #k");
        await op.IrcBarrierAsync();
        await victim.SendAsync("JOIN #k");
        await victim.IrcBarrierAsync();
        await victim.SendAsync("KICK #k Op");
        Assert.Equal(":test.grove 482 Victim #k :You're not channel operator", await victim.NextLineAsync());
        await op.SendAsync("KICK #k Outsider");
        // ERR_USERNOTINCHANNEL 441: "Returned by the server to indicate that the target user of the command is not on the given channel."
        await op.ExpectAsync("^:test\\.grove 441 Op Outsider #k :They aren't on that channel$");
        await op.SendAsync("KICK #k Nobody");
        await op.ExpectAsync("^:test\\.grove 401 Op Nobody :No such nick/channel$");
        await op.SendAsync("KICK #k Victim :behave");
        await victim.ExpectAsync("^:Op!~op@irc\\.grove KICK #k Victim :behave$");
        await op.ExpectAsync("^:Op!~op@irc\\.grove KICK #k Victim :behave$");
        await victim.SendAsync("PRIVMSG #k :still here?");
        Assert.Equal(":test.grove 404 Victim #k :Cannot send to channel", await victim.NextLineAsync());
    }

    [Fact]
    public async Task Invite_only_key_limit_and_ban_gate_the_join_with_473_475_471_474()
    {
        await using var op = await _server.IrcAsync("Op");
        await using var guest = await _server.IrcAsync("Guest");
        await op.SendAsync("JOIN #gate");
        await op.SendAsync("MODE #gate +i");
        await op.ExpectAsync("^:Op!~op@irc\\.grove MODE #gate \\+i$");
        await guest.SendAsync("JOIN #gate");
        Assert.Equal(":test.grove 473 Guest #gate :Cannot join channel (+i)", await guest.NextLineAsync());
        await op.SendAsync("INVITE Guest #gate");
        // RPL_INVITING 341 to the inviter; the invited user gets the INVITE.
        await op.ExpectAsync("^:test\\.grove 341 Op Guest #gate$");
        Assert.Equal(":Op!~op@irc.grove INVITE Guest #gate", await guest.NextLineAsync());
        await guest.SendAsync("JOIN #gate");
        await guest.ExpectAsync("^:Guest!~guest@irc\\.grove JOIN #gate$");
        await op.SendAsync("INVITE Guest #gate");
        await op.ExpectAsync("^:test\\.grove 443 Op Guest #gate :is already on channel$");
        await guest.SendAsync("PART #gate");
        await op.SendAsync("MODE #gate -i+k secret");
        await op.ExpectAsync("^:Op!~op@irc\\.grove MODE #gate -i\\+k secret$");
        await guest.IrcBarrierAsync();
        await guest.SendAsync("JOIN #gate wrong");
        Assert.Equal(":test.grove 475 Guest #gate :Cannot join channel (+k)", await guest.NextLineAsync());
        await op.SendAsync("MODE #gate -k+l * 1");
        await op.ExpectAsync("^:Op!~op@irc\\.grove MODE #gate -k\\+l \\* 1$");
        await guest.SendAsync("JOIN #gate");
        Assert.Equal(":test.grove 471 Guest #gate :Cannot join channel (+l)", await guest.NextLineAsync());
        await op.SendAsync("MODE #gate -l+b Guest");
        await op.ExpectAsync("^:Op!~op@irc\\.grove MODE #gate -l\\+b Guest!\\*@\\*$");
        await guest.SendAsync("JOIN #gate");
        Assert.Equal(":test.grove 474 Guest #gate :Cannot join channel (+b)", await guest.NextLineAsync());
        await op.SendAsync("MODE #gate b");
        await op.ExpectAsync("^:test\\.grove 367 Op #gate Guest!\\*@\\* Op \\d+$");
        await op.ExpectAsync("^:test\\.grove 368 Op #gate :End of channel ban list$");
        await op.SendAsync("MODE #gate");
        await op.ExpectAsync("^:test\\.grove 324 Op #gate \\+nt$");
    }

    [Fact]
    public async Task Moderated_and_no_external_messages_are_enforced_with_404_and_voice_lets_one_speak()
    {
        await using var op = await _server.IrcAsync("Op");
        await using var member = await _server.IrcAsync("Member");
        await using var outsider = await _server.IrcAsync("Outsider");
        await op.SendAsync("JOIN #m");
        await op.IrcBarrierAsync();
        await member.SendAsync("JOIN #m");
        await member.IrcBarrierAsync();
        // +n is on for new rooms: "no messages to channel from clients on the outside".
        await outsider.SendAsync("PRIVMSG #m :from outside");
        Assert.Equal(":test.grove 404 Outsider #m :Cannot send to channel", await outsider.NextLineAsync());
        await op.SendAsync("MODE #m +m");
        await member.ExpectAsync("^:Op!~op@irc\\.grove MODE #m \\+m$");
        await member.SendAsync("PRIVMSG #m :can I talk?");
        Assert.Equal(":test.grove 404 Member #m :Cannot send to channel", await member.NextLineAsync());
        await op.SendAsync("MODE #m +v Member");
        await member.ExpectAsync("^:Op!~op@irc\\.grove MODE #m \\+v Member$");
        await member.SendAsync("PRIVMSG #m :now I can");
        await op.ExpectAsync("^:Member!~member@irc\\.grove PRIVMSG #m :now I can$");
        await op.SendAsync("MODE #m +o Member");
        // NAMES from another connection may be handled before the MODE: wait until Member has been made operator.
        await member.ExpectAsync("^:Op!~op@irc\\.grove MODE #m \\+o Member$");
        await member.SendAsync("NAMES #m");
        await member.ExpectAsync("^:test\\.grove 353 Member = #m :@Op @Member$");
        await op.SendAsync("MODE #m +x");
        // ERR_UNKNOWNMODE 472
        await op.ExpectAsync("^:test\\.grove 472 Op x :is unknown mode char to me$");
        await outsider.SendAsync("MODE #m +m");
        await outsider.ExpectAsync("^:test\\.grove 482 Outsider #m ");
    }
}
