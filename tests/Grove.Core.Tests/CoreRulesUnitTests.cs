using System.Collections.Concurrent;
using System.Text;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grove.Core.Tests;

/// <summary>The core's thread rules and the facts its replies carry, read from the events themselves.</summary>
public sealed class CoreRulesUnitTests : IAsyncLifetime
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    // Keeps every event each session was sent; renders a line per event so the outbox path runs as usual.
    private sealed class RecordingRenderer : IEventRenderer
    {
        public readonly ConcurrentDictionary<Session, ConcurrentQueue<ChatEvent>> Sent = new();
        public int EncodingKey(Session recipient) => 98;
        public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient)
        {
            Sent.GetOrAdd(recipient, _ => new()).Enqueue(ev);
            return Encoding.UTF8.GetBytes(ev.GetType().Name + "\n");
        }
        public List<T> Of<T>(Session s) => Sent.TryGetValue(s, out var q) ? q.OfType<T>().ToList() : [];
    }

    private sealed class NoControl : IConnectionControl
    {
        public void Close(bool graceful) { }
    }

    private readonly Clock _clock = new();
    private readonly RecordingRenderer _renderer = new();
    private readonly ChatServer _chat;

    public CoreRulesUnitTests() =>
        _chat = new ChatServer(new ChatOptions(), new NullMessageStore(), NullLogger<ChatServer>.Instance, _clock);

    public Task InitializeAsync()
    {
        _chat.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _chat.DisposeAsync();

    private async Task<Session> Register(string name)
    {
        // As the IRC door connects: many rooms, none joined on taking a name.
        var s = _chat.Connect(DoorKind.Irc, "test", _renderer, new NoControl(), new DoorPolicy(SingleRoom: false, AutoJoinDefaultRoom: false, Host: "irc.grove"));
        await Run(s, new ChatCommand(CommandKind.Register, name));
        return s;
    }

    private Task Run(Session s, ChatCommand c) => _chat.ExecuteAsync(s, c).WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task A_query_reads_chat_state_through_its_view_and_a_view_kept_after_it_throws()
    {
        var alice = await Register("alice");
        await Run(alice, new ChatCommand(CommandKind.Join, "#here"));
        // There is no way to read the state but a query's view; a view kept past its query is closed.
        string? found = null;
        LoopView? kept = null;
        IEnumerable<Session>? people = null;
        await _chat.QueryAsync(alice, view =>
        {
            found = view.RoomNamed("#HERE")?.Name + " " + view.FindPerson("ALICE")?.Name + " " + string.Join(',', view.RoomsOf(alice).Select(r => r.Name));
            kept = view;
            people = view.People; // handed out in the query, enumerated after it
            return null;
        });
        await Run(alice, new ChatCommand(CommandKind.Who)); // after the query
        Assert.Equal("#here alice #here", found);
        Assert.Throws<InvalidOperationException>(() => kept!.RoomNamed("#here"));
        Assert.Throws<InvalidOperationException>(() => kept!.FindPerson("alice"));
        Assert.Throws<InvalidOperationException>(() => kept!.RoomsOf(alice).ToList());
        Assert.Throws<InvalidOperationException>(() => kept!.AllRooms.ToList());
        Assert.Throws<InvalidOperationException>(() => kept!.WhoWas("bob").ToList());
        Assert.Throws<InvalidOperationException>(() => people!.ToList());
    }

    [Fact]
    public async Task A_door_s_rules_for_its_people_come_with_the_connection_not_from_its_kind()
    {
        // An IRC-kind connection given the plain door's rules: one room at a time, the default room joined, its host.
        var s = _chat.Connect(DoorKind.Irc, "test", _renderer, new NoControl(), new DoorPolicy(SingleRoom: true, AutoJoinDefaultRoom: true, Host: "one.grove"));
        await Run(s, new ChatCommand(CommandKind.Register, "solo"));
        await Run(s, new ChatCommand(CommandKind.Join, "#a"));
        await Run(s, new ChatCommand(CommandKind.Join, "#b"));
        string? rooms = null;
        await _chat.QueryAsync(s, view => { rooms = string.Join(',', view.RoomsOf(s).Select(r => r.Name)); return null; });
        await Run(s, new ChatCommand(CommandKind.Who));
        Assert.Equal("#b", rooms);
        Assert.Equal("one.grove", s.Host);
        Assert.Equal(["#lobby", "#a", "#b"], _renderer.Of<JoinedReply>(s).Select(j => j.Room));
    }

    [Fact]
    public async Task A_door_that_lists_some_names_gets_only_those_in_a_large_room_and_the_count_of_everyone()
    {
        // Issue #26: 10,000 browsers arriving must not each cost a full member list; IRC's NAMES stays exact.
        var some = new DoorPolicy(SingleRoom: false, AutoJoinDefaultRoom: false, Host: "web.grove") { NamesInLargeRoom = 3 };
        var all = new DoorPolicy(SingleRoom: false, AutoJoinDefaultRoom: false, Host: "irc.grove");
        for (var i = 0; i < DoorPolicy.LargeRoom - 1; i++)
        {
            var p = _chat.Connect(DoorKind.Irc, "test", _renderer, new NoControl(), all);
            await _chat.SubmitAsync(p, new ChatCommand(CommandKind.Register, $"p{i}"));
            await _chat.SubmitAsync(p, new ChatCommand(CommandKind.Join, "#big"));
        }
        var web = _chat.Connect(DoorKind.Web, "test", _renderer, new NoControl(), some);
        await Run(web, new ChatCommand(CommandKind.Register, "browser"));
        await Run(web, new ChatCommand(CommandKind.Join, "#big"));
        var irc = _chat.Connect(DoorKind.Irc, "test", _renderer, new NoControl(), all);
        await Run(irc, new ChatCommand(CommandKind.Register, "client"));
        await Run(irc, new ChatCommand(CommandKind.Join, "#big"));
        var listed = Assert.Single(_renderer.Of<JoinedReply>(web));
        Assert.Equal(3, listed.Members.Count);
        Assert.Equal(DoorPolicy.LargeRoom, listed.People);
        var exact = Assert.Single(_renderer.Of<JoinedReply>(irc));
        Assert.Equal(DoorPolicy.LargeRoom + 1, exact.Members.Count);
        Assert.Equal(DoorPolicy.LargeRoom + 1, exact.People);
    }

    [Fact]
    public void A_view_is_made_only_by_the_core_and_changes_nothing()
    {
        // Doors cannot make a view (no public constructor) and cannot change state through one (no setters, no
        // methods but reads); Session's and Room's chat state has internal setters only.
        Assert.Empty(typeof(LoopView).GetConstructors());
        Assert.All(typeof(LoopView).GetProperties(), p => Assert.Null(p.SetMethod));
        var publicSetters = typeof(Session).GetProperties().Concat(typeof(Grove.Core.Rooms.Room).GetProperties())
            .Where(p => p.SetMethod is { IsPublic: true }).Select(p => p.DeclaringType!.Name + "." + p.Name).Order().ToList();
        // Door-owned: the encoding key (delivery), the door's own state, and the IRC identity given before a name.
        Assert.Equal(["Session.DoorState", "Session.EncodingKey", "Session.RealName", "Session.UserName"], publicSetters);
    }

    [Fact]
    public async Task Own_modes_change_on_the_command_loop_and_the_reply_says_what_changed()
    {
        var alice = await Register("alice");
        await Run(alice, new ChatCommand(CommandKind.UserModes, Text: "+iwx-B+o"));
        Assert.True(alice.Invisible);
        Assert.True(alice.WantsWallops);
        Assert.False(alice.IsOperator);
        var reply = Assert.Single(_renderer.Of<UserModesReply>(alice));
        Assert.Equal("+iw", reply.Applied);
        Assert.True(reply.Unknown);
        await Run(alice, new ChatCommand(CommandKind.UserModes, Text: "-i+B"));
        Assert.False(alice.Invisible);
        Assert.True(alice.IsBot);
        Assert.Equal("-i+B", _renderer.Of<UserModesReply>(alice)[1].Applied);
    }

    [Fact]
    public async Task An_error_names_the_command_that_failed()
    {
        var alice = await Register("alice");
        await Run(alice, new ChatCommand(CommandKind.Ban, "#lobby", Args: [""]));
        var error = Assert.Single(_renderer.Of<ErrorReply>(alice));
        Assert.Equal(ErrorCode.NeedMoreParams, error.Code);
        Assert.Equal(CommandKind.Ban, error.Command);
    }

    [Fact]
    public async Task A_topic_reply_says_when_the_topic_was_set_not_when_it_was_asked()
    {
        var alice = await Register("alice");
        await Run(alice, new ChatCommand(CommandKind.Join, "#here"));
        var setAt = _clock.Now;
        await Run(alice, new ChatCommand(CommandKind.Topic, "#here", "bamboo"));
        _clock.Now = setAt.AddHours(5);
        await Run(alice, new ChatCommand(CommandKind.Topic, "#here"));
        var reply = Assert.Single(_renderer.Of<TopicReply>(alice));
        Assert.Equal("alice", reply.SetBy);
        Assert.Equal(setAt, reply.SetAt);
    }
}
