using Grove.Core;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Grove.Server.Store.Sqlite;
using Grove.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grove.Server.Tests.Store;

/// <summary>
/// The core's one history query (ChatServer.ReadHistoryAsync) against a real SQLite file: each anchor kind picks the
/// messages ircv3 chathistory names, the page says whether more exist on either side, the limit is clamped, and access
/// is decided by membership and ownership at the time of asking.
/// </summary>
public sealed class HistoryQueryIntegrationTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private SqliteMessageStore _store = null!;
    private ChatServer _chat = null!;
    private Session _alice = null!;
    private readonly List<long> _ids = new();

    public async Task InitializeAsync()
    {
        _store = new SqliteMessageStore(_folder.Path);
        _store.Open();
        _chat = new ChatServer(new ChatOptions(), _store, NullLogger<ChatServer>.Instance);
        _chat.Start();
        _alice = await Person("alice");
        await _chat.ExecuteAsync(_alice, new ChatCommand(CommandKind.Join, "#h"));
        for (var i = 0; i < 10; i++) await _chat.SubmitAsync(_alice, new ChatCommand(CommandKind.Say, "#h", $"m{i}"));
        var all = await Ask(_alice, "#h", HistoryAnchor.Latest(), 100);
        _ids.AddRange(all.Page!.Messages.Select(m => ((RoomMessageEvent)m).Id));
        Assert.Equal(10, _ids.Count);
    }

    public async Task DisposeAsync()
    {
        await _chat.DisposeAsync();
        _store.Dispose();
        _folder.Dispose();
    }

    private sealed class Quiet : IEventRenderer, IConnectionControl
    {
        public int EncodingKey(Session recipient) => 0;
        /// <summary>Set by a test before it asks: the core's answer to a history query, as the renderer is handed it.</summary>
        public TaskCompletionSource<ChatEvent>? Answer;

        public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient)
        {
            if (ev is HistoryPageReply or HistoryDeniedReply) Answer?.TrySetResult(ev);
            return ReadOnlyMemory<byte>.Empty;
        }
        public void Close(bool graceful) { }
    }

    private async Task<Session> Person(string name)
    {
        var quiet = new Quiet();
        var s = _chat.Connect(DoorKind.Plain, "test", quiet, quiet);
        await _chat.ExecuteAsync(s, new ChatCommand(CommandKind.Register, name));
        return s;
    }

    /// <summary>Asks as a door does and returns the answer its renderer is handed.</summary>
    private async Task<HistoryAnswer> Ask(Session s, string target, HistoryAnchor anchor, int limit)
    {
        var quiet = (Quiet)s.Renderer;
        quiet.Answer = new TaskCompletionSource<ChatEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _chat.ReadHistoryAsync(new HistoryQuery(s, target, anchor, limit));
        return await quiet.Answer.Task.WaitAsync(TimeSpan.FromSeconds(10)) switch
        {
            HistoryPageReply p => HistoryAnswer.Of(p.Page),
            HistoryDeniedReply d => HistoryAnswer.Denied(new HistoryDenial(d.Code, d.Text, d.Asked)),
            var other => throw new InvalidOperationException(other.GetType().Name),
        };
    }

    /// <summary>The page's texts joined by spaces, and whether more exist before and after it.</summary>
    private async Task<(string Texts, bool MoreBefore, bool MoreAfter)> Page(HistoryAnchor anchor, int limit)
    {
        var answer = await Ask(_alice, "#h", anchor, limit);
        var page = answer.Page!;
        Assert.Equal("#h", page.Target);
        Assert.All(page.Messages, m => Assert.True(((RoomMessageEvent)m).IsHistory));
        return (string.Join(" ", page.Messages.Select(m => ((RoomMessageEvent)m).Text)), page.MoreBefore, page.MoreAfter);
    }

    private HistoryRef Id(int i) => HistoryRef.ToId(_ids[i]);

    [Fact]
    public async Task Latest_takes_the_newest_messages_and_with_a_reference_only_those_after_it()
    {
        Assert.Equal(("m7 m8 m9", true, false), await Page(HistoryAnchor.Latest(), 3));
        Assert.Equal(("m8 m9", true, false), await Page(HistoryAnchor.Latest(Id(7)), 10));
    }

    [Fact]
    public async Task Before_takes_the_newest_messages_older_than_an_id_or_a_time()
    {
        Assert.Equal(("m3 m4", true, true), await Page(HistoryAnchor.Before(Id(5)), 2));
        Assert.Equal(("m0 m1", false, true), await Page(HistoryAnchor.Before(Id(2)), 5));
        Assert.Equal(("m8 m9", true, false), await Page(HistoryAnchor.Before(HistoryRef.ToTime(DateTimeOffset.UtcNow.AddMinutes(5))), 2));
    }

    [Fact]
    public async Task After_takes_the_oldest_messages_newer_than_an_id_or_a_time()
    {
        Assert.Equal(("m6 m7", true, true), await Page(HistoryAnchor.After(Id(5)), 2));
        Assert.Equal(("m0 m1", false, true), await Page(HistoryAnchor.After(HistoryRef.ToTime(DateTimeOffset.UtcNow.AddMinutes(-5))), 2));
        Assert.Equal(("", true, false), await Page(HistoryAnchor.After(Id(9)), 2));
    }

    [Fact]
    public async Task Around_takes_half_before_the_reference_and_the_rest_from_it_on()
    {
        Assert.Equal(("m3 m4 m5 m6", true, true), await Page(HistoryAnchor.Around(Id(5)), 4));
        Assert.Equal(("m0 m1 m2", false, true), await Page(HistoryAnchor.Around(Id(0)), 3));
    }

    [Fact]
    public async Task Between_reads_from_the_first_reference_towards_the_second_in_either_order()
    {
        Assert.Equal(("m3 m4 m5", true, true), await Page(HistoryAnchor.Between(Id(2), Id(6)), 3));
        Assert.Equal(("m4 m5", true, true), await Page(HistoryAnchor.Between(Id(6), Id(2)), 2));
        Assert.Equal(("m8 m9", true, false), await Page(HistoryAnchor.Between(Id(7), HistoryRef.ToTime(DateTimeOffset.UtcNow.AddMinutes(5))), 10));
    }

    [Fact]
    public async Task The_limit_is_clamped_to_the_server_maximum_whatever_a_door_asks()
    {
        Assert.Equal(HistoryQuery.MaxLimit, new HistoryQuery(null, "#h", HistoryAnchor.Latest(), int.MaxValue).Limit);
        Assert.Equal(1, new HistoryQuery(null, "#h", HistoryAnchor.Latest(), 0).Limit);
        Assert.Equal(1, new HistoryQuery(null, "#h", HistoryAnchor.Latest(), -5).Limit);
        for (var i = 0; i < HistoryQuery.MaxLimit; i++) await _chat.SubmitAsync(_alice, new ChatCommand(CommandKind.Say, "#h", $"n{i}"));
        var (texts, before, _) = await Page(HistoryAnchor.Latest(), 100_000);
        Assert.Equal(Enumerable.Range(0, HistoryQuery.MaxLimit).Select(i => $"n{i}"), texts.Split(' '));
        Assert.True(before);
        Assert.Equal($"n{HistoryQuery.MaxLimit - 1}", (await Page(HistoryAnchor.Latest(), 0)).Texts);
    }

    [Fact]
    public async Task Access_is_decided_by_membership_and_ownership_when_asked()
    {
        var bob = await Person("bob");
        // Not a member: refused, though the room is open; once in, the same query reads it.
        Assert.Equal(ErrorCode.NotInRoom, (await Ask(bob, "#h", HistoryAnchor.Latest(), 5)).Denial!.Code);
        await _chat.ExecuteAsync(bob, new ChatCommand(CommandKind.Join, "#h"));
        Assert.Equal(5, (await Ask(bob, "#h", HistoryAnchor.Latest(), 5)).Page!.Messages.Count);
        // A secret room is no room at all to whoever is not in it, exactly as one that does not exist.
        await _chat.ExecuteAsync(_alice, new ChatCommand(CommandKind.Join, "#vault"));
        await _chat.ExecuteAsync(_alice, new ChatCommand(CommandKind.Mode, "#vault", "+s"));
        var hidden = (await Ask(bob, "#vault", HistoryAnchor.Latest(), 5)).Denial!;
        var missing = (await Ask(bob, "#nowhere", HistoryAnchor.Latest(), 5)).Denial!;
        Assert.Equal((missing.Code, missing.Text.Replace("#nowhere", "#vault")), (hidden.Code, hidden.Text));
        Assert.Equal(ErrorCode.NoSuchRoom, (await _chat.ReadPublicHistoryAsync(new HistoryQuery(null, "#vault", HistoryAnchor.Latest(), 5))).Denial!.Code);
        Assert.Equal(5, (await _chat.ReadPublicHistoryAsync(new HistoryQuery(null, "#h", HistoryAnchor.Latest(), 5))).Page!.Messages.Count);
        // A private conversation is read by its two owners only.
        var carol = await Person("carol");
        await _chat.ExecuteAsync(_alice, new ChatCommand(CommandKind.Msg, "bob", "just us"));
        Assert.Equal(["just us"], (await Ask(bob, "alice", HistoryAnchor.Latest(), 5)).Page!.Messages.Select(m => ((PrivateMessageEvent)m).Text));
        Assert.Empty((await Ask(carol, "alice", HistoryAnchor.Latest(), 5)).Page!.Messages);
        Assert.Equal(ErrorCode.NoSuchRoom, (await _chat.ReadPublicHistoryAsync(new HistoryQuery(null, "alice", HistoryAnchor.Latest(), 5))).Denial!.Code);
    }
}
