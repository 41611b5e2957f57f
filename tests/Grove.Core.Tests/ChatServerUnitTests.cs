using System.Runtime.InteropServices;
using System.Text;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grove.Core.Tests;

/// <summary>The core alone: no sockets. Each session's outbox is read directly.</summary>
public sealed class ChatServerUnitTests : IAsyncLifetime
{
    private readonly ChatServer _chat = new(new ChatOptions { OutboxMaxBytes = 4096 }, new NullMessageStore(), NullLogger<ChatServer>.Instance);
    private readonly TestRenderer _renderer = new();

    public Task InitializeAsync()
    {
        _chat.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _chat.DisposeAsync();

    private sealed class TestRenderer : IEventRenderer
    {
        public int Renders;
        public int EncodingKey(Session recipient) => 99;
        public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient)
        {
            if (ev is EchoReply) return ReadOnlyMemory<byte>.Empty; // as on the plain door: no echo
            Interlocked.Increment(ref Renders);
            var text = ev switch
            {
                RoomMessageEvent m => $"{m.From}: {m.Text}",
                ErrorReply e => $"! {e.Code}",
                WelcomeReply w => $"welcome {w.Name} {w.Others}",
                JoinEvent j => $"join {j.Name}",
                QuitEvent q => $"quit {q.Name} {q.Reason}",
                _ => ev.GetType().Name,
            };
            return Encoding.UTF8.GetBytes(text + "\n");
        }
    }

    private sealed class Control : IConnectionControl
    {
        public int Closes;
        public bool? Graceful;
        public void Close(bool graceful) { Closes++; Graceful = graceful; }
    }

    private async Task<(Session Session, Control Control)> Register(string name)
    {
        var control = new Control();
        var s = _chat.Connect(DoorKind.Plain, "test", _renderer, control);
        await _chat.ExecuteAsync(s, new ChatCommand(CommandKind.Register, name));
        return (s, control);
    }

    private static List<string> Drain(Session s)
    {
        var lines = new List<string>();
        while (s.Outbox.TryTake(out var seg))
        {
            lines.AddRange(Encoding.UTF8.GetString(seg.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            s.Outbox.Written(seg.Length);
        }
        return lines;
    }

    [Fact]
    public async Task Names_are_unique_case_insensitively()
    {
        var (alice, _) = await Register("alice");
        var (other, _) = await Register("ALICE");
        Assert.Equal(SessionState.Registered, alice.State);
        Assert.Equal(SessionState.Unregistered, other.State);
        Assert.Contains("! NameInUse", Drain(other));
    }

    [Fact]
    public async Task A_room_message_is_rendered_once_and_the_same_bytes_go_to_every_member()
    {
        var (alice, _) = await Register("alice");
        var members = new List<Session>();
        for (var i = 0; i < 20; i++) members.Add((await Register($"m{i}")).Session);
        foreach (var m in members) Drain(m);
        Drain(alice);
        var before = _renderer.Renders;
        await _chat.ExecuteAsync(alice, new ChatCommand(CommandKind.Say, Text: "one render"));
        Assert.Equal(before + 1, _renderer.Renders);

        var arrays = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        foreach (var m in members)
        {
            Assert.True(m.Outbox.TryTake(out var seg));
            Assert.True(MemoryMarshal.TryGetArray(seg, out var array));
            arrays.Add(array.Array!);
        }
        Assert.Single(arrays);
        Assert.Empty(Drain(alice)); // no echo
    }

    [Fact]
    public async Task A_member_whose_outbox_overflows_is_closed_as_a_slow_consumer_and_the_others_still_receive()
    {
        var (sender, _) = await Register("sender");
        var (slow, slowControl) = await Register("slow");
        var (fast, _) = await Register("fast");
        Drain(fast);
        for (var i = 0; i < 200; i++)
        {
            await _chat.ExecuteAsync(sender, new ChatCommand(CommandKind.Say, Text: $"{i} {new string('x', 40)}"));
            Assert.Single(Drain(fast), l => l.StartsWith("sender: "));
        }
        Assert.True(slow.IsClosed);
        Assert.Equal(DisconnectReason.SendQueueExceeded, slow.CloseReason);
        Assert.Equal(1, slowControl.Closes);
        Assert.False(slowControl.Graceful);
        Assert.True(slow.Outbox.PendingBytes <= 4096);
        Assert.Equal(1, _chat.Metrics.SlowConsumerDisconnects);
    }

    [Fact]
    public async Task Quit_tells_the_others_once_frees_the_name_and_closes_gracefully_after_the_goodbye()
    {
        var (alice, control) = await Register("alice");
        var (bob, _) = await Register("bob");
        Drain(alice);
        Drain(bob);
        await _chat.ExecuteAsync(alice, new ChatCommand(CommandKind.Quit, Text: "done"));
        Assert.Equal(["GoodbyeReply"], Drain(alice));
        Assert.True(alice.IsClosed);
        Assert.True(control.Graceful);
        Assert.Equal(["quit alice done"], Drain(bob));
        var (again, _) = await Register("alice");
        Assert.Equal(SessionState.Registered, again.State);
    }

    [Fact]
    public async Task Commands_before_registration_are_refused_except_quit_and_help()
    {
        var s = _chat.Connect(DoorKind.Plain, "test", _renderer, new Control());
        await _chat.ExecuteAsync(s, new ChatCommand(CommandKind.Say, Text: "hi"));
        await _chat.ExecuteAsync(s, new ChatCommand(CommandKind.Help));
        Assert.Equal(["! NotRegistered", "HelpReply"], Drain(s));
    }
}
