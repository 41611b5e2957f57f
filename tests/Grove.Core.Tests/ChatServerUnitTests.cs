using System.Diagnostics;
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

    // A connection that takes every byte at once and keeps each send call's text; one of them can run an action
    // the first time it is handed a given line (on the delivery loop, in the middle of a hand-over).
    private sealed class RecordingConnection : IDirectSend
    {
        public readonly List<string> Sends = new();
        public string? Trigger;
        public Action? OnTrigger;
        /// <summary>When set, the trigger's failure is kept for the test's wait instead of stopping the delivery loop.</summary>
        public CallbackGuard? Guard;

        public long TrySendNow(List<ReadOnlyMemory<byte>> segments)
        {
            var text = string.Concat(segments.Select(m => Encoding.UTF8.GetString(m.Span)));
            lock (Sends) Sends.Add(text);
            if (Trigger is not null && text.Contains(Trigger))
            {
                Trigger = null;
                if (Guard is { } guard) guard.Run(OnTrigger!);
                else OnTrigger!();
            }
            return segments.Sum(m => (long)m.Length);
        }

        public List<string> Lines() { lock (Sends) return [.. Sends.SelectMany(t => t.Split('\n', StringSplitOptions.RemoveEmptyEntries))]; }
    }

    /// <summary>Registers a person on <paramref name="chat"/> whose output takes the fast path into a <see cref="RecordingConnection"/>.</summary>
    private async Task<(Session Session, RecordingConnection Connection, Control Control)> JoinRecorded(ChatServer chat, string name)
    {
        var control = new Control();
        var s = chat.Connect(DoorKind.Plain, "test", _renderer, control);
        var connection = new RecordingConnection();
        s.Outbox.UseDirectSend(connection);
        await chat.ExecuteAsync(s, new ChatCommand(CommandKind.Register, name));
        return (s, connection, control);
    }

    [Fact]
    public async Task A_batch_committed_during_a_hand_over_is_taken_in_in_order_and_its_close_still_comes_after_the_goodbye()
    {
        // The delivery loop is handing "a" to a room's members, one send each. At the first member, two more
        // commands are committed: bob says "b", then carol quits. The loop takes that batch in at once: the members
        // not yet sent to get "a" and "b" in one send; everyone gets a, b and carol's quit, in that order, exactly
        // once; carol is closed after her goodbye.
        await using var chat = new ChatServer(new ChatOptions(), new NullMessageStore(), NullLogger<ChatServer>.Instance);
        chat.Start();
        var (alice, _, _) = await JoinRecorded(chat, "alice");
        var (first, firstConnection, _) = await JoinRecorded(chat, "first");
        var (bob, _, _) = await JoinRecorded(chat, "bob");
        var (carol, _, carolControl) = await JoinRecorded(chat, "carol");
        var others = new List<RecordingConnection>();
        for (var i = 0; i < 50; i++) others.Add((await JoinRecorded(chat, $"m{i}")).Connection);
        foreach (var c in others) lock (c.Sends) c.Sends.Clear();

        var takenBefore = chat.Metrics.BatchesTakenInMidRound;
        var guard = firstConnection.Guard = new CallbackGuard();
        firstConnection.Trigger = "alice: a";
        firstConnection.OnTrigger = () =>
        {
            Assert.True(chat.SubmitAsync(bob, new ChatCommand(CommandKind.Say, Text: "b")).IsCompletedSuccessfully);
            Assert.True(chat.SubmitAsync(carol, new ChatCommand(CommandKind.Quit, Text: "done")).IsCompletedSuccessfully);
            // The commit loop runs beside this one; wait (bounded) until it has handed the batch on (counting a commit
            // was not enough: the batch is handed on a moment after).
            Assert.True(SpinWait.SpinUntil(() => chat.DeliveryBacklog > 0, TimeSpan.FromSeconds(10)));
        };
        await guard.Wait(chat.ExecuteAsync(alice, new ChatCommand(CommandKind.Say, Text: "a")));
        await guard.Wait(chat.ExecuteAsync(alice, new ChatCommand(CommandKind.Who))); // everything before it is delivered

        Assert.True(chat.Metrics.BatchesTakenInMidRound > takenBefore);
        foreach (var c in others)
        {
            Assert.Equal(["alice: a", "bob: b", "quit carol done"], c.Lines());
            Assert.StartsWith("alice: a\nbob: b\n", c.Sends[0]); // one send for both (carol's quit may be in it too)
        }
        Assert.True(carol.IsClosed);
        Assert.Equal(1, carolControl.Closes);
    }

    [Fact]
    public async Task A_close_in_the_middle_of_a_batch_takes_no_later_batch_in_before_the_rest_of_its_own()
    {
        // One batch: carol quits, then alice says "c". Before carol is closed, the delivery loop hands over what is
        // staged (her goodbye and the others' "quit carol"). At the first member, bob's "d" is committed. That hand-
        // over is in the middle of a batch, so it must not take "d" in: everyone gets the quit, "c", then "d". It
        // did take it in, and every member got "d" before "c" (found by the slow-consumer bench: a person's
        // messages out of order whenever someone was closed in a busy room).
        await using var chat = new ChatServer(new ChatOptions(), new NullMessageStore(), NullLogger<ChatServer>.Instance);
        chat.Start();
        var (alice, _, _) = await JoinRecorded(chat, "alice");
        var (bob, _, _) = await JoinRecorded(chat, "bob");
        var (carol, _, _) = await JoinRecorded(chat, "carol");
        var (_, firstConnection, _) = await JoinRecorded(chat, "first");
        var others = new List<RecordingConnection>();
        for (var i = 0; i < 20; i++) others.Add((await JoinRecorded(chat, $"m{i}")).Connection);
        foreach (var c in others) lock (c.Sends) c.Sends.Clear();

        var guard = firstConnection.Guard = new CallbackGuard();
        firstConnection.Trigger = "quit carol";
        firstConnection.OnTrigger = () =>
        {
            Assert.True(chat.SubmitAsync(bob, new ChatCommand(CommandKind.Say, Text: "d")).IsCompletedSuccessfully);
            // Committed and waiting for the delivery loop, which is in the middle of the hand-over (bounded wait).
            Assert.True(SpinWait.SpinUntil(() => chat.DeliveryBacklog > 0, TimeSpan.FromSeconds(10)));
        };
        // Hold the command loop (a step of bob's that waits) while carol's quit and alice's "c" are queued behind it,
        // so that the loop takes both into one batch.
        using var hold = new ManualResetEventSlim();
        Func<ChatEvent?> wait = () => { hold.Wait(TimeSpan.FromSeconds(10)); return null; };
        await chat.RunUnitAsync(bob, [wait], label: null);
        await chat.SubmitAsync(carol, new ChatCommand(CommandKind.Quit, Text: "done"));
        await chat.SubmitAsync(alice, new ChatCommand(CommandKind.Say, Text: "c"));
        hold.Set();
        Assert.True(SpinWait.SpinUntil(() => others[^1].Lines().Contains("bob: d"), TimeSpan.FromSeconds(10)));
        await guard.Wait(chat.ExecuteAsync(alice, new ChatCommand(CommandKind.Who))); // everything before it is delivered

        Assert.Null(firstConnection.Trigger); // the hand-over before the close did reach the first member
        foreach (var c in others) Assert.Equal(["quit carol done", "alice: c", "bob: d"], c.Lines());
    }

    [Fact]
    public async Task Lines_still_arriving_when_the_command_loop_catches_up_share_its_batch_commit_and_round()
    {
        // Alice and bob speak in the same instant. The command loop has taken alice's line while the door is still
        // handling bob's (InputArriving says so): it waits for it, and both are committed together and reach each
        // member in one send.
        await using var chat = new ChatServer(new ChatOptions(), new NullMessageStore(), NullLogger<ChatServer>.Instance);
        chat.Start();
        var (alice, _, _) = await JoinRecorded(chat, "alice");
        var (bob, _, _) = await JoinRecorded(chat, "bob");
        var others = new List<RecordingConnection>();
        for (var i = 0; i < 20; i++) others.Add((await JoinRecorded(chat, $"m{i}")).Connection);

        // The loop waits only on a quiet server (no commit or round under way); a round just finishing can make it
        // skip one try, so the scenario is tried again until the door was asked.
        var asked = 0;
        var guard = new CallbackGuard();
        for (var attempt = 0; attempt < 20 && asked == 0; attempt++)
        {
            foreach (var c in others) lock (c.Sends) c.Sends.Clear();
            var (commits, committed) = (chat.Metrics.Commits, chat.Metrics.CommittedMessages);
            var bobsLine = new ChatCommand(CommandKind.Say, Text: $"b{attempt}");
            chat.InputArriving = () => guard.Run(() =>
            {
                if (Interlocked.Exchange(ref asked, 1) != 0) return false; // bob's line is in
                Assert.True(chat.SubmitAsync(bob, bobsLine).IsCompletedSuccessfully);
                return true;
            }, false);
            await chat.SubmitAsync(alice, new ChatCommand(CommandKind.Say, Text: $"a{attempt}"));
            // Nothing else is queued, so the door is asked only while the loop takes alice's line, if at all.
            var last = others[^1];
            Assert.True(SpinWait.SpinUntil(() => last.Lines().Contains($"alice: a{attempt}"), TimeSpan.FromSeconds(10)));
            chat.InputArriving = null;
            if (asked == 0) continue;
            await guard.Wait(chat.ExecuteAsync(bob, new ChatCommand(CommandKind.Who))); // everything before it is delivered

            Assert.Equal(commits + 1, chat.Metrics.Commits);
            Assert.Equal(committed + 2, chat.Metrics.CommittedMessages);
            foreach (var c in others) lock (c.Sends) Assert.Equal([$"alice: a{attempt}\nbob: b{attempt}\n"], c.Sends);
        }
        Assert.Equal(1, asked);
    }

    [Fact]
    public async Task A_failing_assertion_in_a_callback_on_a_core_loop_fails_the_test_within_seconds()
    {
        await using var chat = new ChatServer(new ChatOptions(), new NullMessageStore(), NullLogger<ChatServer>.Instance);
        chat.Start();
        var (alice, _, _) = await JoinRecorded(chat, "alice");
        var (_, bobConnection, _) = await JoinRecorded(chat, "bob");
        var guard = bobConnection.Guard = new CallbackGuard(TimeSpan.FromSeconds(30));
        bobConnection.Trigger = "alice: boom";
        bobConnection.OnTrigger = () => Assert.Fail("deliberate failure on the delivery loop");
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => guard.Wait(chat.ExecuteAsync(alice, new ChatCommand(CommandKind.Say, Text: "boom"))));
        Assert.Contains("deliberate failure", failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_callback_that_stops_a_core_loop_unguarded_fails_the_wait_with_a_timeout_instead_of_hanging()
    {
        var chat = new ChatServer(new ChatOptions(), new NullMessageStore(), NullLogger<ChatServer>.Instance);
        chat.Start();
        var (alice, _, _) = await JoinRecorded(chat, "alice");
        var (_, bobConnection, _) = await JoinRecorded(chat, "bob");
        bobConnection.Trigger = "alice: boom";
        bobConnection.OnTrigger = () => throw new InvalidTimeZoneException("not guarded: the delivery loop stops");
        var guard = new CallbackGuard(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<TimeoutException>(() => guard.Wait(chat.ExecuteAsync(alice, new ChatCommand(CommandKind.Say, Text: "boom"))));
        _ = chat.DisposeAsync().AsTask(); // its delivery loop is gone; stopping it would only wait out its own timeout
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
