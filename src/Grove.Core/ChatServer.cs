using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;
using Microsoft.Extensions.Logging;

namespace Grove.Core;

/// <summary>
/// The chat core: people, rooms and commands, shared by every door.
/// <para>
/// Concurrency model (three stages, each one loop, each FIFO):
/// 1. the command loop owns all chat state (names, rooms, membership) and runs every command in arrival order,
///    producing a batch of effects (events to deliver, messages to store);
/// 2. the commit loop writes each batch's messages to the store in one transaction (group commit);
/// 3. the delivery loop renders each event once per encoding and enqueues the bytes into each recipient's outbox.
/// So a message is durable before anyone sees it, everyone sees events in one order, and no lock guards the hot path:
/// readers on other threads use immutable snapshots (room members) or concurrent maps (who is online).
/// </para>
/// </summary>
public sealed partial class ChatServer : IAsyncDisposable
{
    private readonly ChatOptions _options;
    private readonly IMessageStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random = new();

    private readonly Channel<WorkItem> _commands;
    private readonly Channel<WorkItem> _control = Channel.CreateUnbounded<WorkItem>(new() { SingleReader = true });
    private readonly Channel<Batch> _toCommit = Channel.CreateUnbounded<Batch>(new() { SingleReader = true, SingleWriter = true });
    private readonly Channel<Batch> _toDeliver = Channel.CreateUnbounded<Batch>(new() { SingleReader = true, SingleWriter = true });

    // Command-loop state.
    private readonly Dictionary<string, Session> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private long _lastId;
    private Batch _batch = new();

    // Readable from any thread.
    private readonly ConcurrentDictionary<long, Session> _sessions = new();
    private readonly ConcurrentDictionary<string, Room> _roomView = new(StringComparer.Ordinal);

    private Task? _commandLoop, _commitLoop, _deliveryLoop;
    private int _started, _stopped;

    public ChatServer(ChatOptions options, IMessageStore store, ILogger<ChatServer> logger, TimeProvider? time = null)
    {
        _options = options;
        _store = store;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _commands = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(options.CommandQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public ChatOptions Options => _options;
    public ChatMetrics Metrics { get; } = new();
    public IMessageStore Store => _store;

    // Enumerated, not copied: ConcurrentDictionary.Values makes a snapshot list on every call, which during a
    // connection storm (each IRC welcome counts the users) was most of the server's garbage.
    /// <summary>Everyone connected, named or not.</summary>
    public IEnumerable<Session> Sessions => _sessions.Select(static kv => kv.Value);
    public int SessionCount => _sessions.Count;
    public IEnumerable<Room> Rooms => _roomView.Select(static kv => kv.Value);
    public int RoomCount => _roomView.Count;

    /// <summary>Loads rooms from the store and starts the loops. The store must be open.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        _lastId = _store.LastMessageId();
        foreach (var r in _store.LoadRooms())
        {
            var room = AddRoom(r.Name);
            room.Topic = r.Topic;
            room.TopicSetBy = r.TopicSetBy;
            room.TopicSetAt = r.TopicSetAt;
            foreach (var m in _store.RoomHistory(room.Key, long.MaxValue, room.Recent.Capacity, Admission.Everything))
                room.Recent.Add(ToEvent(m, room.Name));
        }
        LoadAccounts(_store.LoadState());
        // A registered room keeps its gates over a restart: its gated history goes on where its newest message was
        // sent behind the same gates; otherwise the gates it has now count from here.
        foreach (var room in _rooms.Values)
            if (room.Gates != RoomGates.None)
                room.GatesSince = room.Recent.Latest(1, Admission.Everything) is [{ } last] && last.Gates == room.Gates ? last.GatesSince : _lastId;
        _commandLoop = Task.Run(RunCommandLoop);
        _commitLoop = Task.Run(RunCommitLoop);
        _deliveryLoop = Task.Run(RunDeliveryLoop);
    }

    /// <summary>A new connection on some door. It has no name until a Register command succeeds.</summary>
    public Session Connect(DoorKind door, string remoteAddress, IEventRenderer renderer, IConnectionControl control)
    {
        var s = new Session(door, remoteAddress, renderer, control, _options.OutboxMaxBytes)
        {
            ConnectedAt = _time.GetUtcNow(),
            ConnectedTimestamp = _time.GetTimestamp(),
        };
        _sessions[s.Id] = s;
        Metrics.Connected(door);
        return s;
    }

    /// <summary>Queues a command; waits only when the command queue is full.</summary>
    public ValueTask SubmitAsync(Session s, ChatCommand command, CancellationToken ct = default) =>
        _commands.Writer.WriteAsync(new WorkItem(s, command, Op.Command, default, null), ct);

    /// <summary>
    /// Runs one client line's work as a unit, in order, on the command loop: each step is a <see cref="ChatCommand"/>
    /// to execute, a <see cref="ChatEvent"/> to send to the person, or a <c>Func&lt;ChatEvent?&gt;</c> query whose
    /// answer is sent. With a label, everything the unit sent the person becomes one <see cref="LabeledReply"/>.
    /// </summary>
    public ValueTask RunUnitAsync(Session s, IReadOnlyList<object> steps, string? label, CancellationToken ct = default) =>
        _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Unit, default, null) { Label = label, Steps = steps }, ct);

    /// <summary>Runs a command and completes once its effects have been delivered (for example after a name was accepted).</summary>
    public async Task ExecuteAsync(Session s, ChatCommand command, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _commands.Writer.WriteAsync(new WorkItem(s, command, Op.Command, default, done), ct);
        await done.Task.WaitAsync(ct);
    }

    /// <summary>
    /// The door saw its connection end (end of input, reset). Queued behind the commands the connection already sent,
    /// so a message sent just before hanging up is still delivered and replies already due are still written;
    /// then the person leaves every room, their name is free, and the connection closes.
    /// </summary>
    public async ValueTask DisconnectAsync(Session s, DisconnectReason reason)
    {
        if (s.IsClosed) return;
        try
        {
            await _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Leave, reason, null));
        }
        catch (ChannelClosedException)
        {
            MarkClosed(s, reason, graceful: false);
            Forget(s);
        }
    }

    /// <summary>Sends a door-made event (for example an error about a line the door could not parse) in order with the rest.</summary>
    public ValueTask ReplyAsync(Session s, ChatEvent reply, CancellationToken ct = default, string? label = null) =>
        _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Reply, default, null, reply) { Label = label }, ct);

    /// <summary>Closes a session from any thread without waiting (slow consumer, fault). Never blocks.</summary>
    public void Disconnect(Session s, DisconnectReason reason)
    {
        if (!MarkClosed(s, reason, graceful: false)) return;
        if (!_control.Writer.TryWrite(new WorkItem(s, null, Op.Leave, reason, null))) Forget(s);
    }

    /// <summary>
    /// Tells the person why, then closes the connection gracefully (the line is written before the socket closes).
    /// For a door that must end a connection on purpose, for example for repeated protocol errors.
    /// </summary>
    public void CloseWithMessage(Session s, DisconnectReason reason, string text) => _control.Writer.TryWrite(Kick(s, reason, text));

    /// <summary>
    /// As <see cref="CloseWithMessage"/>, but queued behind the lines the connection already sent, which are handled
    /// first: for the connection's own door (a flood cut must not overtake a line the flood gate already let through).
    /// </summary>
    public async ValueTask CloseAfterQueuedAsync(Session s, DisconnectReason reason, string text)
    {
        try
        {
            await _commands.Writer.WriteAsync(Kick(s, reason, text));
        }
        catch (ChannelClosedException)
        {
            MarkClosed(s, reason, graceful: false);
            Forget(s);
        }
    }

    private static WorkItem Kick(Session s, DisconnectReason reason, string text) =>
        new(s, new ChatCommand(CommandKind.Quit, Text: text), Op.Kick, reason, null);

    private bool MarkClosed(Session s, DisconnectReason reason, bool graceful)
    {
        if (!s.TryMarkClosed(reason)) return false;
        s.Outbox.Complete();
        if (reason == DisconnectReason.SendQueueExceeded) Metrics.SlowConsumer();
        Log.Closed(_logger, s.Id, s.Name ?? "-", DoorName(s.Door), s.RemoteAddress, DisconnectReasonText.Describe(reason));
        s.Control.Close(graceful);
        return true;
    }

    /// <summary>A door's name as logs and metrics write it.</summary>
    public static string DoorName(DoorKind door) => door switch { DoorKind.Plain => "plain", DoorKind.Irc => "irc", _ => "web" };

    private void Forget(Session s)
    {
        if (_sessions.TryRemove(s.Id, out _)) Metrics.Disconnected(s.Door, s.CountedRegistered);
    }

    // Command loop only: a session is counted as registered once, however often it changes name or logs in.
    private void MarkRegistered(Session s)
    {
        s.State = SessionState.Registered;
        if (s.CountedRegistered) return;
        s.CountedRegistered = true;
        Metrics.Registered(s.Door);
    }

    /// <summary>Tells everyone the server is stopping, closes every connection after that line, and commits all history.</summary>
    public async Task ShutdownAsync(string notice, TimeSpan timeout)
    {
        if (_started == 0) return;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _control.Writer.TryWrite(new WorkItem(null, new ChatCommand(CommandKind.Quit, Text: notice), Op.Shutdown, DisconnectReason.ServerShutdown, done));
        await done.Task.WaitAsync(timeout).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0 || _started == 0) return;
        // Start failed before the loops ran (a damaged database): there is nothing to wait for.
        if (_commandLoop is null || _commitLoop is null || _deliveryLoop is null) { StopPasswordWork(); return; }
        _commands.Writer.TryComplete();
        _control.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_commandLoop!, _commitLoop!, _deliveryLoop!).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            Log.StopTimedOut(_logger);
        }
        StopPasswordWork();
        Metrics.Dispose();
    }

    // ---- Stage 1: the command loop -------------------------------------------------------------------------

    private enum Op { Command, Leave, Kick, Shutdown, Reply, Query, Unit, Call }

    private readonly record struct WorkItem(Session? Session, ChatCommand? Command, Op Op, DisconnectReason Reason, TaskCompletionSource? Done, ChatEvent? Reply = null, Func<ChatEvent?>? Query = null)
    {
        public string? Label { get; init; }
        /// <summary>When a door submitted it (Stopwatch timestamp), for the delivery-latency histogram.</summary>
        public long TakenIn { get; init; } = Stopwatch.GetTimestamp();
        public IReadOnlyList<object>? Steps { get; init; }
        public Action? Call { get; init; }
    }

    private async Task RunCommandLoop()
    {
        var commands = _commands.Reader;
        var control = _control.Reader;
        while (true)
        {
            var taken = Drain(commands, control, 0);
            if (taken > 0)
            {
                // All caught up, but a door may be handling more input right now: commands that arrived together (two
                // people's messages in the same instant) then go in one batch, one commit and one delivery round.
                if (taken < _options.MaxBatch && WaitForArrivingInput()) Drain(commands, control, taken);
                FlushBatch();
                if (Volatile.Read(ref _toCommitWeight) > MaxToCommitWeight) await StoreCatchUpAsync().ConfigureAwait(false);
                continue;
            }
            var a = commands.WaitToReadAsync();
            var b = control.WaitToReadAsync();
            if (a.IsCompleted && b.IsCompleted && !a.Result && !b.Result) break;
            if (!a.IsCompleted && !b.IsCompleted) await Task.WhenAny(a.AsTask(), b.AsTask()).ConfigureAwait(false);
            else if (a.IsCompleted && !a.Result && !b.IsCompleted) { if (!await b.ConfigureAwait(false)) break; }
            else if (b.IsCompleted && !b.Result && !a.IsCompleted) { if (!await a.ConfigureAwait(false)) break; }
        }
        FlushBatch();
        _toCommit.Writer.TryComplete();
    }

    /// <summary>Runs the control items and then commands, up to MaxBatch in all with those already taken; how many were taken.</summary>
    private int Drain(ChannelReader<WorkItem> commands, ChannelReader<WorkItem> control, int taken)
    {
        while (control.TryRead(out var c)) { Run(c); taken++; }
        for (; taken < _options.MaxBatch && commands.TryRead(out var w); taken++)
        {
            // The batch's first command is its oldest: the start of its delivery latency.
            if (_batch.TakenIn == 0) _batch.TakenIn = w.TakenIn;
            Run(w);
        }
        return taken;
    }

    /// <summary>
    /// Set by the host: true while a door is handling input it has been woken for (the epoll thread reading and
    /// submitting lines), so that more commands may be microseconds away.
    /// </summary>
    public Func<bool>? InputArriving { get; set; }

    // At most this long: a door's thread reads and submits a line in a few microseconds.
    private static readonly long MaxWaitForInput = Stopwatch.Frequency / 10_000; // 100 us

    /// <summary>Waits, briefly, while a door is still handling input. True when it waited.</summary>
    private bool WaitForArrivingInput()
    {
        // Only on a quiet server: when a commit or a round is under way, what arrives meanwhile joins it anyway (the
        // delivery loop takes batches in mid-round), and under load the wait would only cost time.
        if (InputArriving is not { } arriving || Volatile.Read(ref _toCommitWeight) != 0 || Volatile.Read(ref _deliveryBacklog) != 0 ||
            Volatile.Read(ref _delivering) != 0 || !arriving()) return false;
        var until = Stopwatch.GetTimestamp() + MaxWaitForInput;
        var spinner = new SpinWait();
        while (arriving() && Stopwatch.GetTimestamp() < until) spinner.SpinOnce(sleep1Threshold: -1);
        return true;
    }

    // The server whose command loop runs on this thread right now: the door queries' accessors check it.
    [ThreadStatic] private static ChatServer? t_onLoopOf;

    /// <summary>Throws unless called from this server's command loop (a door query); reading chat state elsewhere races its writer.</summary>
    internal void AssertOnLoop()
    {
        if (!ReferenceEquals(t_onLoopOf, this)) throw new InvalidOperationException("Chat state was read off the command loop; read it in a query (QueryAsync).");
    }

    private void Run(in WorkItem w)
    {
        var firstEffect = _batch.Effects.Count;
        t_onLoopOf = this;
        try
        {
            switch (w.Op)
            {
                case Op.Command:
                    // A command that was queued before its connection closed still runs if the person is still here
                    // (it was sent before they left); anything after Leave is dropped because the state is Closed.
                    if (w.Session!.State != SessionState.Closed) Execute(w.Session, w.Command!);
                    break;
                case Op.Leave:
                    if (w.Session!.State != SessionState.Closed)
                    {
                        Leave(w.Session, DisconnectReasonText.Describe(w.Reason));
                        CloseAfterDelivery(w.Session, w.Reason);
                    }
                    break;
                case Op.Reply:
                    if (w.Session!.State != SessionState.Closed) Send(w.Session, w.Reply!);
                    break;
                case Op.Query:
                    if (w.Session!.State != SessionState.Closed && w.Query!() is { } answer) Send(w.Session, answer);
                    break;
                case Op.Unit:
                    foreach (var step in w.Steps!)
                    {
                        if (w.Session!.State == SessionState.Closed) break;
                        switch (step)
                        {
                            case ChatCommand c: Execute(w.Session, c); break;
                            case ChatEvent e: Send(w.Session, e); break;
                            case Func<ChatEvent?> q: if (q() is { } a) Send(w.Session, a); break;
                        }
                    }
                    break;
                case Op.Kick:
                    if (w.Session!.State != SessionState.Closed) CloseWith(w.Session, w.Reason, w.Command!.Text!);
                    break;
                case Op.Shutdown:
                    ShutdownAll(w.Command!.Text!);
                    break;
                case Op.Call:
                    w.Call!();
                    break;
            }
        }
        catch (Exception ex)
        {
            // A bug in one command must not stop the loop: close only the connection that caused it.
            Log.CommandFailed(_logger, ex, w.Session?.Id ?? 0, w.Command?.Kind.ToString() ?? w.Op.ToString());
            if (w.Session is { } s) Disconnect(s, DisconnectReason.InternalError);
        }
        finally
        {
            t_onLoopOf = null;
        }
        if (w.Label is not null && w.Session is { } requester) GatherLabeled(requester, w.Label, firstEffect);
        if (w.Done is not null) _batch.Effects.Add(Effect.Complete(w.Done));
    }

    /// <summary>
    /// Replaces what one command sent its own sender with a single <see cref="LabeledReply"/> in the place of the first
    /// of them: the sender's copies of room broadcasts are taken out of the broadcast and put in the reply.
    /// </summary>
    private void GatherLabeled(Session requester, string label, int from)
    {
        var effects = _batch.Effects;
        var gathered = new List<ChatEvent>();
        var insertAt = -1;
        for (var i = from; i < effects.Count; i++)
        {
            var e = effects[i];
            if (e.Kind == EffectKind.One && ReferenceEquals(e.Target, requester))
            {
                gathered.Add(e.Event!);
                if (insertAt < 0) insertAt = i;
                effects.RemoveAt(i--);
            }
            else if (e.Kind == EffectKind.Many && e.Except is null && Array.IndexOf(e.Targets!, requester) >= 0)
            {
                gathered.Add(e.Event!);
                effects[i] = e with { Except = requester };
                if (insertAt < 0) insertAt = i;
            }
        }
        var reply = Effect.One(new LabeledReply(label, gathered), requester);
        if (insertAt < 0) effects.Add(reply);
        else effects.Insert(insertAt, reply);
    }

    private void FlushBatch()
    {
        if (_batch.IsEmpty) return;
        Interlocked.Add(ref _toCommitWeight, _batch.CommitWeight);
        _toCommit.Writer.TryWrite(_batch);
        _batch = new Batch();
    }

    // The store sets the pace. Without a bound, a flood the store cannot keep up with (flood control off) piled up
    // batches between the command loop and the commit loop without limit: memory grew, and a line from anyone else
    // waited behind every line already taken (11 s behind one IRC connection streaming into a room, in a test). So
    // the command loop waits while more than this much waits to be committed (messages, plus one per batch); the
    // command queue then fills, the doors stop reading, and TCP slows the senders down.
    private const int MaxToCommitWeight = 8192;
    private int _toCommitWeight;
    private TaskCompletionSource? _storeCaughtUp;

    private async Task StoreCatchUpAsync()
    {
        while (Volatile.Read(ref _toCommitWeight) > MaxToCommitWeight / 2)
        {
            var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // A full fence between publishing the signal and reading the backlog again (a plain write could be
            // passed by the read, and a commit between the two would then wake nobody).
            Interlocked.Exchange(ref _storeCaughtUp, caughtUp);
            if (Volatile.Read(ref _toCommitWeight) <= MaxToCommitWeight / 2) break; // it caught up meanwhile
            await caughtUp.Task.ConfigureAwait(false);
        }
        Volatile.Write(ref _storeCaughtUp, null);
    }

    /// <summary>Commit loop: these batches are committed (or failed to be); wakes the command loop if it waits.</summary>
    private void Committed(int weight)
    {
        if (Interlocked.Add(ref _toCommitWeight, -weight) <= MaxToCommitWeight / 2)
            Volatile.Read(ref _storeCaughtUp)?.TrySetResult();
    }

    // Effects, in order.
    private void Execute(Session s, ChatCommand c)
    {
        _executing = c.Kind;
        try { if (!RefusedWhileStoreFails(s, c)) ExecuteCommand(s, c); }
        finally { _executing = null; }
    }

    // The command being executed, which an error names (IRC 461 says which command lacked a parameter).
    private CommandKind? _executing;

    private void Send(Session to, ChatEvent ev) => _batch.Effects.Add(Effect.One(ev, to));
    private void SendRoom(Room room, ChatEvent ev, Session? except) => _batch.Effects.Add(Effect.Many(ev, room.Members, except));
    private void SendMany(Session[] to, ChatEvent ev) => _batch.Effects.Add(Effect.Many(ev, to, null));
    // A reply is rendered for its one recipient: sending one to many does not compile.
    [Obsolete("A ReplyEvent goes to one person: Send it to each.", error: true)]
    private void SendRoom(Room room, ReplyEvent ev, Session? except) => throw new InvalidOperationException();
    [Obsolete("A ReplyEvent goes to one person: Send it to each.", error: true)]
    private void SendMany(Session[] to, ReplyEvent ev) => throw new InvalidOperationException();
    private void CloseAfterDelivery(Session s, DisconnectReason reason) => _batch.Effects.Add(Effect.Close(s, reason));
    private void Error(Session to, ErrorCode code, string text, string? subject = null)
    {
        if (!_quietErrors) Send(to, new ErrorReply(code, text, subject) { Command = _executing });
    }

    private bool _quietErrors; // command loop only: set while a NOTICE runs, which never gets an error back

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Connection {Id} ({Name}) on the {Door} door from {Remote} closed: {Reason}")]
        public static partial void Closed(ILogger logger, long id, string name, string door, string remote, string reason);

        [LoggerMessage(2, LogLevel.Error, "Command {Command} of connection {Id} failed; that connection is closed")]
        public static partial void CommandFailed(ILogger logger, Exception ex, long id, string command);

        [LoggerMessage(3, LogLevel.Error, "Delivering {Event} failed")]
        public static partial void DeliveryFailed(ILogger logger, Exception ex, string @event);

        // One line, no stack trace: a full disk comes and goes, and each episode is said once (the reason is enough).
        [LoggerMessage(4, LogLevel.Error, "The store failed to save messages ({Reason}); they are refused, not delivered, until it works again")]
        public static partial void StoreFailed(ILogger logger, string reason);

        [LoggerMessage(5, LogLevel.Warning, "The store works again; history is being saved")]
        public static partial void StoreRecovered(ILogger logger);

        [LoggerMessage(6, LogLevel.Warning, "The chat core did not stop within 10 s")]
        public static partial void StopTimedOut(ILogger logger);

        [LoggerMessage(7, LogLevel.Information, "Connection {Id} from {Remote} on the {Door} door is now {Name}")]
        public static partial void Registered(ILogger logger, long id, string remote, string door, string name);

        [LoggerMessage(8, LogLevel.Debug, "{Name} in {Room}: {Text}")]
        public static partial void RoomMessage(ILogger logger, string name, string room, string text);

        [LoggerMessage(9, LogLevel.Debug, "{Name} to {To} (private): {Text}")]
        public static partial void PrivateMessage(ILogger logger, string name, string to, string text);

        [LoggerMessage(10, LogLevel.Information, "{Old} is now known as {New}")]
        public static partial void NickChanged(ILogger logger, string old, string @new);

        [LoggerMessage(11, LogLevel.Information, "Room {Room} created by {Name}")]
        public static partial void RoomCreated(ILogger logger, string room, string name);

        [LoggerMessage(12, LogLevel.Information, "Connection {Id} from {Remote} logged in as {Account}")]
        public static partial void LoggedIn(ILogger logger, long id, string remote, string account);

        [LoggerMessage(13, LogLevel.Warning, "Failed login for {Account} from {Remote}")]
        public static partial void LoginFailed(ILogger logger, string account, string remote);

        [LoggerMessage(14, LogLevel.Information, "Connection {Id} from {Remote} registered the account {Account}")]
        public static partial void AccountRegistered(ILogger logger, long id, string remote, string account);
    }
}
