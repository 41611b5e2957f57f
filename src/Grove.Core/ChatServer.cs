using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Handlers;
using Grove.Core.Pipeline;
using Grove.Core.Rooms;
using Grove.Core.State;
using Microsoft.Extensions.Logging;

namespace Grove.Core;

/// <summary>
/// The chat core as the doors meet it (<see cref="IChatCore"/>) and the pipeline that runs it. The rules are not here:
/// the handlers (<c>Handlers/</c>) change the <c>ChatState</c> (<c>State/</c>) and write effects; this class feeds
/// them commands and carries their effects to the store and the doors.
/// <para>
/// Concurrency model (three stages, each one loop, each FIFO):
/// 1. the command loop stamps each command with the time it takes it in and runs it in arrival order through the
///    handlers, the only code that changes chat state, producing a batch of effects (events to deliver, messages to store);
/// 2. the commit loop writes each batch's messages to the store in one transaction (group commit);
/// 3. the delivery loop renders each event once per encoding and enqueues the bytes into each recipient's outbox.
/// So a message is durable before anyone sees it, everyone sees events in one order, and no lock guards the hot path:
/// readers on other threads use immutable snapshots (room members) or concurrent maps (who is online).
/// </para>
/// </summary>
public sealed partial class ChatServer : IChatCore, IAsyncDisposable
{
    private readonly ChatOptions _options;
    private readonly IMessageStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    private readonly Channel<WorkItem> _commands;
    private readonly Channel<WorkItem> _control = Channel.CreateUnbounded<WorkItem>(new() { SingleReader = true });
    private readonly Channel<Batch> _toCommit = Channel.CreateUnbounded<Batch>(new() { SingleReader = true, SingleWriter = true });
    // Written by the commit loop, and in a cluster by the command loop too, never both at once (ChatServer.Cluster.Materialize.cs).
    private readonly Channel<Batch> _toDeliver = Channel.CreateUnbounded<Batch>(new() { SingleReader = true });

    // The chat's state and rules (command loop only), and where the rules write their effects.
    private readonly ChatState _state;
    private readonly EffectSink _sink = new();
    private readonly ChatHandlers _handlers;

    // Every connection, named or not: readable from any thread.
    private readonly ConcurrentDictionary<long, Session> _sessions = new();

    private Task? _commandLoop, _commitLoop, _deliveryLoop;
    private int _started, _stopped;

    public ChatServer(ChatOptions options, IMessageStore store, ILogger<ChatServer> logger, TimeProvider? time = null)
    {
        _options = options;
        _store = store;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _state = new ChatState(options);
        _cluster = store as Cluster.IClusterLog;
        _handlers = new ChatHandlers(_state, _sink, options, Metrics, logger);
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
    public IEnumerable<Room> Rooms => _state.RoomView.Select(static kv => kv.Value);
    public int RoomCount => _state.RoomView.Count;

    /// <summary>Finds a room by name from any thread.</summary>
    public Room? FindRoom(string name) => _state.RoomView.GetValueOrDefault(NameRules.Fold(name));

    /// <summary>The most names or rooms one answer lists (the rest are counted): an answer must not grow without bound.</summary>
    public const int MaxListed = 500;

    /// <summary>The most names one person may watch (MONITOR); advertised to IRC clients.</summary>
    public const int MaxWatched = 100;

    /// <summary>The most bans (and mutes) one room keeps; advertised to IRC clients.</summary>
    public const int MaxBansPerRoom = 100;

    /// <summary>Loads rooms from the store and starts the loops. The store must be open.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        if (_cluster is not null)
        {
            StartCluster();
        }
        else
        {
            _state.LastId = _store.LastMessageId();
            _sink.Stamp = StampNow();
            _handlers.LoadRooms(_store);
            _handlers.LoadAccounts(_store.LoadState(), _sink.Stamp.Time);
            _handlers.ResumeGates();
        }
        _commandLoop = Watch(Task.Run(RunCommandLoop), "command");
        // A node's commit loop waits on PostgreSQL in blocking calls: a thread of its own, not one of the pool's few.
        _commitLoop = Watch(_cluster is null ? Task.Run(RunCommitLoop) : Task.Factory.StartNew(RunClusterCommitLoop, CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default), "commit");
        _deliveryLoop = Watch(Task.Run(RunDeliveryLoop), "delivery");
        if (_cluster is not null)
        {
            StartClusterThreads(_applied);
            WaitUntilCaughtUp();
        }
    }

    // A loop that ends by an exception has stopped the server's work: that is said loudly, not lost in a task.
    private Task Watch(Task loop, string name)
    {
        loop.ContinueWith(t => Log.LoopDied(_logger, t.Exception!.GetBaseException(), name), TaskContinuationOptions.OnlyOnFaulted);
        return loop;
    }

    /// <summary>A new connection on some door. It has no name until a Register command succeeds.</summary>
    public Session Connect(DoorKind door, string remoteAddress, IEventRenderer renderer, IConnectionControl control, DoorPolicy? policy = null)
    {
        var s = new Session(door, remoteAddress, renderer, control, _options.OutboxMaxBytes, policy)
        {
            ConnectedAt = _time.GetUtcNow(),
            ConnectedTimestamp = _time.GetTimestamp(),
            NodeName = NodeName,
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
    /// to execute, a <see cref="ChatEvent"/> to send to the person, or a <c>Func&lt;LoopView, ChatEvent?&gt;</c> query whose
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
        if (s.IsRemote) return true; // its own node closes it
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

    /// <summary>Tells everyone the server is stopping, closes every connection after that line, and commits all history.</summary>
    public async Task ShutdownAsync(string notice, TimeSpan timeout)
    {
        if (_started == 0) return;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _control.Writer.TryWrite(new WorkItem(null, new ChatCommand(CommandKind.Quit, Text: notice), Op.Shutdown, DisconnectReason.ServerShutdown, done));
        try
        {
            await done.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException) when (_cluster is not null)
        {
            // The log did not take the node's leaving (PostgreSQL away): its people are told and closed here all the
            // same (else each door waited for them in turn), and the others count the node lost when its lease ends.
            var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _control.Writer.TryWrite(new WorkItem(null, null, Op.Call, default, told)
            {
                Call = () => _handlers.NodeGone(_sessions.Values.OrderBy(p => p.Id).ToList(), notice, "node restarting", DisconnectReason.ServerShutdown),
            });
            await told.Task.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0 || _started == 0) return;
        // Start failed before the loops ran (a damaged database): there is nothing to wait for.
        if (_commandLoop is null || _commitLoop is null || _deliveryLoop is null) { StopPasswordWork(); return; }
        if (_cluster is not null)
        {
            // Whatever the loops still hand the log is refused: the node is stopping.
            StopCluster();
        }
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

        [LoggerMessage(20, LogLevel.Information, "Node {Name} (id {Id}) {How}; {Blocks} blocks of the command log to apply before the doors open")]
        public static partial void Joined(ILogger logger, string name, int id, string how, long blocks);

        [LoggerMessage(21, LogLevel.Information, "Caught up with the cluster's command log ({Blocks} blocks in {Seconds:F1} s)")]
        public static partial void CaughtUp(ILogger logger, long blocks, double seconds);

        [LoggerMessage(24, LogLevel.Critical, "The {Loop} loop stopped by a fault; the server no longer works and must be restarted")]
        public static partial void LoopDied(ILogger logger, Exception ex, string loop);

        [LoggerMessage(25, LogLevel.Warning, "Node {Name} replaces an earlier start of the same name (id {Old}) that the cluster still counted alive; its people leave, and if it still runs, it stops serving (give each running node a name of its own)")]
        public static partial void ReplacedSameName(ILogger logger, string name, int old);

        [LoggerMessage(29, LogLevel.Information, "Node id {Old} of the recovered epoch is counted lost: its people leave on the log")]
        public static partial void RecoveredNodeLost(ILogger logger, int old);

        [LoggerMessage(30, LogLevel.Warning, "A history read failed ({Reason}); the person was told it is not available right now")]
        public static partial void StoreReadFailed(ILogger logger, string reason);

        [LoggerMessage(22, LogLevel.Error, "This node stops serving: {Why}")]
        public static partial void FencedOff(ILogger logger, string why);

        [LoggerMessage(23, LogLevel.Error, "Block {Block} of the command log has an entry this node cannot read ({Why}); it is skipped")]
        public static partial void BadEntry(ILogger logger, long block, string why);
    }
}
