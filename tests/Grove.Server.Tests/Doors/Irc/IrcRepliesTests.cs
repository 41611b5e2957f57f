using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Testing;
using Grove.Wire;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>Replies whose facts come from the core: which command 461 names, when 333 says the topic was set, user modes.</summary>
public sealed class IrcRepliesTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Render(ChatEvent ev, string nick)
    {
        var s = _server.Host.Chat.Sessions.Single(p => p.Name == nick);
        return TextRules.Utf8.GetString(s.Renderer.Render(ev, s).Span);
    }

    [Fact]
    public async Task Need_more_params_names_the_command_that_lacked_one()
    {
        await using var c = await _server.IrcAsync("Nick");
        // ERR_NEEDMOREPARAMS: "<client> <command> :Not enough parameters".
        Assert.Equal(":test.grove 461 Nick BAN :Name a person (or a mask).\r\n",
            Render(new ErrorReply(ErrorCode.NeedMoreParams, "Name a person (or a mask).") { Command = CommandKind.Ban }, "Nick"));
        Assert.Equal(":test.grove 461 Nick KICK :x\r\n", Render(new ErrorReply(ErrorCode.NeedMoreParams, "x") { Command = CommandKind.Kick }, "Nick"));
        await c.SendAsync("JOIN #k");
        await c.IrcBarrierAsync();
        await c.SendAsync("MODE #k +l");
        Assert.Equal(":test.grove 461 Nick MODE :+l needs a number.", await c.NextLineAsync());
    }

    [Fact]
    public async Task Topic_333_gives_the_time_the_topic_was_set()
    {
        await using var c = await _server.IrcAsync("Nick");
        var set = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000);
        Assert.Equal(":test.grove 332 Nick #t :hello\r\n:test.grove 333 Nick #t Setter 1600000000\r\n",
            Render(new TopicReply("#t", "hello", "Setter") { SetAt = set }, "Nick"));
        // Asked for later, the topic still carries the second it was set in: between the seconds around setting it
        // (bounds taken on both sides, so a slow machine cannot push the answer out of a fixed window).
        await c.SendAsync("JOIN #t");
        await c.IrcBarrierAsync();
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await c.SendAsync("TOPIC #t :bamboo");
        await c.IrcBarrierAsync();
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await c.SendAsync("TOPIC #t");
        Assert.Equal(":test.grove 332 Nick #t :bamboo", await c.NextLineAsync());
        var at = long.Parse((await c.NextLineAsync()).Split(' ')[^1]);
        Assert.InRange(at, before, after);
    }

    [Fact]
    public async Task A_topic_kept_by_the_store_says_when_it_was_set_after_a_restart()
    {
        using var folder = new TempFolder();
        using (var store = new Grove.Server.Store.Sqlite.SqliteMessageStore(Path.Combine(folder.Path, "data")))
        {
            store.Open();
            store.Commit([], [new Grove.Core.History.StoredRoom("#old", "ancient bamboo", "Founder", DateTimeOffset.FromUnixTimeSeconds(1_577_836_800))]);
        }
        await using var server = await TestServer.StartAsync(folder: folder);
        await using var c = await server.IrcAsync("Nick");
        await c.SendAsync("JOIN #old");
        await c.IrcBarrierAsync();
        await c.SendAsync("TOPIC #old");
        Assert.Equal(":test.grove 332 Nick #old :ancient bamboo", await c.NextLineAsync());
        Assert.Equal(":test.grove 333 Nick #old Founder 1577836800", await c.NextLineAsync());
    }

    [Fact]
    public async Task User_modes_are_applied_in_order_with_the_connections_other_commands()
    {
        await using var c = await _server.IrcAsync("Nick");
        // Sent together: the query must see the change made just before it.
        await c.SendRawAsync("MODE Nick +iBz\r\nMODE Nick\r\nMODE Nick -i\r\nMODE Nick\r\n"u8.ToArray());
        Assert.Equal(":test.grove 501 Nick :Unknown MODE flag", await c.NextLineAsync());
        Assert.Equal(":Nick MODE Nick +iB", await c.NextLineAsync());
        Assert.Equal(":test.grove 221 Nick +Bi", await c.NextLineAsync());
        Assert.Equal(":Nick MODE Nick -i", await c.NextLineAsync());
        Assert.Equal(":test.grove 221 Nick +B", await c.NextLineAsync());
    }
}
