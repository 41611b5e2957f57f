using System.Diagnostics;
using System.Threading.Channels;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Core.Pipeline;

namespace Grove.Core;

// Stage 1 of the pipeline (see the ChatServer summary): the command loop takes what doors submitted, stamps each
// command and hands it to the handlers, and flushes their effects as batches to the commit loop.
public sealed partial class ChatServer
{
    // ---- Stage 1: the command loop -------------------------------------------------------------------------

    private enum Op { Command, Leave, Kick, Shutdown, Reply, Query, Unit, Call, Apply }

    private readonly record struct WorkItem(Session? Session, ChatCommand? Command, Op Op, DisconnectReason Reason, TaskCompletionSource? Done, ChatEvent? Reply = null, Func<LoopView, ChatEvent?>? Query = null)
    {
        public string? Label { get; init; }
        /// <summary>When a door submitted it (Stopwatch timestamp), for the delivery-latency histogram.</summary>
        public long TakenIn { get; init; } = Stopwatch.GetTimestamp();
        public IReadOnlyList<object>? Steps { get; init; }
        public Action? Call { get; init; }
        /// <summary>In a cluster: when the origin node took it in (every node applies it with this stamp).</summary>
        public CommandStamp? Stamp { get; init; }
        /// <summary>In a cluster: being applied from the log (not to be logged again).</summary>
        public bool FromLog { get; init; }
        /// <summary>The loggable form of an account Call, and what its caller gets when the log refuses it.</summary>
        public Cluster.AccountStep? Step { get; init; }
        public Action? Refuse { get; init; }
        /// <summary>Op.Apply: the block of the cluster's log to apply.</summary>
        public Cluster.LogBlock? Block { get; init; }
    }

    private async Task RunCommandLoop()
    {
        var commands = _commands.Reader;
        var control = _control.Reader;
        Task<bool>? commandsWait = null, controlWait = null;
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
            // Each channel has at most one wait outstanding (a second WaitToReadAsync on a single-reader channel while
            // the first is still pending reuses its operation, and the first then throws when it is looked at).
            controlWait ??= control.WaitToReadAsync().AsTask();
            // A cluster node with too much waiting for the log takes no more commands until blocks come back.
            if (IntakePaused || commandsWait is { IsCompleted: true, Result: false })
            {
                if (!await controlWait.ConfigureAwait(false)) break;
                controlWait = null;
                continue;
            }
            commandsWait ??= commands.WaitToReadAsync().AsTask();
            if (controlWait is { IsCompleted: true, Result: false })
            {
                if (!await commandsWait.ConfigureAwait(false)) break;
                commandsWait = null;
                continue;
            }
            await Task.WhenAny(commandsWait, controlWait).ConfigureAwait(false);
            if (commandsWait is { IsCompleted: true, Result: true }) commandsWait = null;
            if (controlWait is { IsCompleted: true, Result: true }) controlWait = null;
        }
        FlushBatch();
        _toCommit.Writer.TryComplete();
    }

    /// <summary>Runs the control items and then commands, up to MaxBatch in all with those already taken; how many were taken.</summary>
    private int Drain(ChannelReader<WorkItem> commands, ChannelReader<WorkItem> control, int taken)
    {
        while (control.TryRead(out var c)) { Run(c); taken++; }
        for (; taken < _options.MaxBatch && !IntakePaused && commands.TryRead(out var w); taken++)
        {
            // The batch's first command is its oldest: the start of its delivery latency.
            if (_sink.Batch.TakenIn == 0) _sink.Batch.TakenIn = w.TakenIn;
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
        // A cluster node's command loop only hands commands to the log's appender, which gathers what comes meanwhile
        // into one block by itself: waiting here would only spin.
        if (_cluster is not null) return false;
        if (InputArriving is not { } arriving || Volatile.Read(ref _toCommitWeight) != 0 || Volatile.Read(ref _deliveryBacklog) != 0 ||
            Volatile.Read(ref _delivering) != 0 || !arriving()) return false;
        var until = Stopwatch.GetTimestamp() + MaxWaitForInput;
        var spinner = new SpinWait();
        while (arriving() && Stopwatch.GetTimestamp() < until) spinner.SpinOnce(sleep1Threshold: -1);
        return true;
    }

    /// <summary>The time now, as a command taken in now is stamped with (the handlers read no clock).</summary>
    /// <remarks>
    /// In a cluster every node compares stamps of every node (login throttling), and each machine's monotonic clock
    /// counts from its own boot: there the "monotonic" part is the wall clock, which the machines share.
    /// </remarks>
    private CommandStamp StampNow()
    {
        var now = _time.GetUtcNow();
        return new(now, _cluster is null ? _time.GetElapsedTime(0) : now - DateTimeOffset.UnixEpoch, Environment.TickCount64); // wall clock: in a cluster, stamps from several machines are compared, and no monotonic clock is shared between machines
    }

    private void Run(in WorkItem w)
    {
        if (_cluster is not null)
        {
            try
            {
                if (Intake(w)) return;
            }
            catch (Exception ex)
            {
                // A bug in logging one item must not stop the loop: that connection is closed.
                Log.CommandFailed(_logger, ex, w.Session?.Id ?? 0, w.Op.ToString());
                if (w.Session is { } failed) Disconnect(failed, DisconnectReason.InternalError);
                return;
            }
        }
        var firstEffect = _sink.Batch.Effects.Count;
        _sink.Stamp = w.Stamp ?? StampNow();
        _handlers.ForRemote = w.Session is { IsRemote: true };
        try
        {
            switch (w.Op)
            {
                case Op.Command:
                    // A command that was queued before its connection closed still runs if the person is still here
                    // (it was sent before they left); anything after Leave is dropped because the state is Closed.
                    if (w.Session!.State != SessionState.Closed) ExecuteCommand(w.Session, w.Command!);
                    break;
                case Op.Leave:
                    if (w.Session!.State != SessionState.Closed)
                    {
                        _handlers.Leave(w.Session, DisconnectReasonText.Describe(w.Reason));
                        _handlers.CloseAfterDelivery(w.Session, w.Reason);
                    }
                    break;
                case Op.Reply:
                    if (w.Session!.State != SessionState.Closed) _handlers.Send(w.Session, w.Reply!);
                    break;
                case Op.Query:
                    if (w.Session!.State != SessionState.Closed && RunQuery(w.Query!) is { } answer) _handlers.Send(w.Session, answer);
                    break;
                case Op.Unit:
                    foreach (var step in w.Steps!)
                    {
                        if (w.Session!.State == SessionState.Closed) break;
                        switch (step)
                        {
                            case ChatCommand c: ExecuteCommand(w.Session, c); break;
                            case ChatEvent e: _handlers.Send(w.Session, e); break;
                            case Func<LoopView, ChatEvent?> q: if (RunQuery(q) is { } a) _handlers.Send(w.Session, a); break;
                        }
                    }
                    break;
                case Op.Kick:
                    if (w.Session!.State != SessionState.Closed) _handlers.CloseWith(w.Session, w.Reason, w.Command!.Text!);
                    break;
                case Op.Shutdown:
                    if (_cluster is null) _handlers.ShutdownAll(w.Command!.Text!, _sessions.Values);
                    else _handlers.NodeGone(_sessions.Values.OrderBy(p => p.Id).ToList(), w.Command!.Text!, "node restarting", DisconnectReason.ServerShutdown);
                    break;
                case Op.Apply:
                    ApplyBlock(w.Block!);
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
        if (w.Label is not null && w.Session is { } requester) GatherLabeled(requester, w.Label, firstEffect);
        if (w.Done is not null) _sink.Batch.Effects.Add(Effect.Complete(w.Done));
    }

    /// <summary>
    /// Replaces what one command sent its own sender with a single <see cref="LabeledReply"/> in the place of the first
    /// of them: the sender's copies of room broadcasts are taken out of the broadcast and put in the reply.
    /// </summary>
    private void GatherLabeled(Session requester, string label, int from)
    {
        var effects = _sink.Batch.Effects;
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
        var labeled = new LabeledReply(label, gathered);
        labeled.StampAt(_sink.Stamp.Time);
        var reply = Effect.One(labeled, requester);
        if (insertAt < 0) effects.Add(reply);
        else effects.Insert(insertAt, reply);
    }

    private void FlushBatch()
    {
        var batch = _sink.Batch;
        if (batch.IsEmpty) return;
        _sink.Batch = new Batch();
        if (_cluster is not null && DeliveredFromLoop(batch)) return;
        Interlocked.Add(ref _toCommitWeight, batch.CommitWeight);
        _toCommit.Writer.TryWrite(batch);
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
}
