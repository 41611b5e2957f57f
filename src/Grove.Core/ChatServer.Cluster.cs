using System.Diagnostics;
using Grove.Core.Cluster;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Microsoft.Extensions.Logging;

namespace Grove.Core;

// A node of a cluster (a store that offers an IClusterLog: PostgreSQL). The command loop does not run what its doors
// submit: it encodes each item as an entry of the cluster's command log and keeps the item. An appender thread writes
// the entries in blocks (group commit), a reader thread reads every block in the log's order (woken by the log), and
// the command loop applies each block to this node's state with the same handlers: its own items as they were
// submitted, other nodes' from their entries, with the connections of other nodes kept as remote sessions that are
// never sent to. So every node holds the same state and delivers every room's events in the same order.
public sealed partial class ChatServer
{
    private readonly IClusterLog? _cluster;
    private int _nodeId;

    /// <summary>True when this server is a node of a cluster.</summary>
    public bool IsCluster => _cluster is not null;

    /// <summary>This node's name in the cluster (null on a server alone).</summary>
    public string? NodeName { get; private set; }

    /// <summary>Said to this node's people when it stops in a cluster (rolling restarts): they reconnect elsewhere.</summary>
    public const string NodeRestartingText = "This node is restarting; reconnecting…";

    /// <summary>Raised (once, off the loops) when the cluster counted this node as gone: it must stop serving.</summary>
    public event Action<string>? Fenced;

    // Command loop only: items logged and not yet applied (by serial), other nodes' connections, nodes gone.
    private readonly Dictionary<long, WorkItem> _awaiting = new();
    private readonly Dictionary<(int, long), Session> _remote = new();

    // The same connections of other nodes, readable from any thread (/status, the people API).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int, long), Session> _remoteView = new();

    /// <summary>Everyone connected to the whole server: this node's connections and, in a cluster, the others'.</summary>
    public IEnumerable<Session> EveryoneConnected => _remoteView.IsEmpty ? Sessions : Sessions.Concat(_remoteView.Select(static kv => kv.Value));
    private readonly HashSet<int> _goneNodes = new();
    private readonly EntryWriter _entries = new();
    private long _nextSerial;
    private long _applied; // the newest block applied (command loop writes)
    private long _catchUpFrom, _catchUpTarget;
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Entries for the appender, with the serials of their items (the appender swaps the list under the lock).
    private readonly Lock _outLock = new();
    private List<Outgoing> _outgoing = new();
    private readonly ManualResetEventSlim _appendWanted = new(false, 0); // no spinning before it sleeps
    private readonly CancellationTokenSource _clusterStop = new();
    private Thread? _appender, _reader, _beater;

    /// <summary>An encoded entry. One that must be logged (a leave, a connection) is retried, never refused.</summary>
    private readonly record struct Outgoing(long Serial, byte[] Bytes, bool MustLog, int Lost = 0);

    // At most this many items wait to be applied; past it the command loop stops taking commands (the doors then stop
    // reading, and TCP slows the senders down), as it does when the store falls behind.
    private const int MaxAwaiting = 16_384;

    private bool IntakePaused => _cluster is not null && (_awaiting.Count >= MaxAwaiting || MaterializeBehind);

    // ---- Joining --------------------------------------------------------------------------------------------

    private void StartCluster()
    {
        var start = _cluster!.Join(_options.NodeName, _options.NodeLostAfter,
            () => new ClusterBase(_store.LastMessageId(), _store.LoadRooms(), _store.LoadState()));
        _nodeId = start.NodeId;
        NodeName = _options.NodeName;
        Volatile.Write(ref _clusterNodes, Math.Max(1, _cluster.Beat())); // how many nodes there are, before the first LUSERS
        _state.LastId = start.Base.LastId;
        _sink.Stamp = StampNow();
        _handlers.LoadRooms(start.Base.Rooms, _store, start.Base.LastId + 1);
        _handlers.LoadAccounts(start.Base.State, _sink.Stamp.Time);
        _handlers.ResumeGates();
        _sink.Batch = new Pipeline.Batch(); // what loading wrote (expired tokens) is each node's own
        _applied = start.BaseBlock;
        _catchUpFrom = start.BaseBlock;
        _catchUpTarget = start.Head;
        if (start.Head <= start.BaseBlock) _caughtUp.TrySetResult();
        // Earlier starts of this node (killed, so their lease had not run out), or, on a recovery, every node of the old
        // epoch: their people leave everywhere.
        foreach (var old in start.Replaced)
        {
            if (start.Recovered) Log.RecoveredNodeLost(_logger, old);
            else Log.ReplacedSameName(_logger, _options.NodeName, old);
            LogNodeLost(old);
        }
        Log.Joined(_logger, _options.NodeName, _nodeId, start.FreshEpoch ? "started the cluster" : start.Recovered ? "recovered the cluster's log (no node was alive)" : "joined the running cluster", start.Head - start.BaseBlock);
    }

    private void StartClusterThreads(long readFrom)
    {
        _appender = new Thread(RunAppender) { IsBackground = true, Name = "grove log appender" };
        _reader = new Thread(() => RunReader(readFrom)) { IsBackground = true, Name = "grove log reader" };
        _beater = new Thread(RunBeater) { IsBackground = true, Name = "grove node lease" };
        _appender.Start();
        _reader.Start();
        _beater.Start();
    }

    /// <summary>Blocks until this node has applied the log as far as it was when it joined (before the doors open).</summary>
    private void WaitUntilCaughtUp()
    {
        var started = Stopwatch.GetTimestamp();
        if (!_caughtUp.Task.Wait(TimeSpan.FromMinutes(10)))
            throw new StoreException("This node did not catch up with the cluster's command log within 10 minutes.");
        // Block numbers run on across epochs: what this node applied is the blocks past the epoch's base.
        var applied = _catchUpTarget - _catchUpFrom;
        if (applied > 0) Log.CaughtUp(_logger, applied, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    // ---- Stage 0: items become entries -----------------------------------------------------------------------

    /// <summary>Command loop: logs the item instead of running it; false when it runs here, now.</summary>
    private bool Intake(in WorkItem w)
    {
        if (w.FromLog || w.Op == Op.Apply) return false;
        if (w.Op == Op.Call && w.Step is null) return false; // a read of this node's state
        var s = w.Session;
        if (s is { IsRemote: true }) return true; // only a connection's own node logs for it
        if (s is not null && !s.ConnectLogged)
        {
            // Nothing of this connection is known elsewhere: its end changes nothing shared.
            if (w.Op == Op.Leave) return false;
            s.ConnectLogged = true;
            var connect = ++_nextSerial;
            var c = _entries.Begin(connect, s.Id, EntryOp.Connect, StampNow());
            EntryWriter.WriteConnect(c, s, s.GuestOwnerKey);
            Enqueue(new Outgoing(connect, _entries.End(), MustLog: true));
        }
        var serial = ++_nextSerial;
        var stamp = StampNow();
        var mustLog = false;
        BinaryWriter b;
        switch (w.Op)
        {
            case Op.Command:
                b = _entries.Begin(serial, s!.Id, EntryOp.Command, stamp);
                EntryWriter.WriteCommand(b, w.Command!);
                break;
            case Op.Unit:
                b = _entries.Begin(serial, s!.Id, EntryOp.Unit, stamp);
                b.Write(w.Steps!.Count);
                foreach (var step in w.Steps!)
                {
                    b.Write(step is ChatCommand);
                    if (step is ChatCommand c) EntryWriter.WriteCommand(b, c);
                }
                break;
            case Op.Leave:
                b = _entries.Begin(serial, s!.Id, EntryOp.Leave, stamp);
                b.Write((int)w.Reason);
                mustLog = true;
                break;
            case Op.Kick:
                b = _entries.Begin(serial, s!.Id, EntryOp.Kick, stamp);
                b.Write((int)w.Reason);
                b.Write(w.Command!.Text!);
                mustLog = true;
                break;
            case Op.Call:
                b = _entries.Begin(serial, s?.Id ?? 0, EntryOp.Account, stamp);
                w.Step!.Write(b);
                break;
            case Op.Shutdown:
                b = _entries.Begin(serial, 0, EntryOp.NodeLeaving, stamp);
                mustLog = true;
                break;
            default: // Reply, Query: this node's own, in order with the connection's other items
                b = _entries.Begin(serial, s?.Id ?? 0, EntryOp.Local, stamp);
                break;
        }
        _awaiting[serial] = w with { Stamp = stamp };
        Enqueue(new Outgoing(serial, _entries.End(), mustLog));
        return true;
    }

    /// <summary>Command loop: a node whose lease ran out; its people leave on every node when this is applied.</summary>
    private void LogNodeLost(int node)
    {
        var serial = ++_nextSerial;
        var b = _entries.Begin(serial, 0, EntryOp.NodeLost, StampNow());
        b.Write(node);
        Enqueue(new Outgoing(serial, _entries.End(), MustLog: true, Lost: node));
    }

    private void Enqueue(Outgoing o)
    {
        bool wake;
        lock (_outLock)
        {
            _outgoing.Add(o);
            wake = _outgoing.Count == 1;
        }
        if (wake) _appendWanted.Set();
    }

    // ---- The appender: group commit into the log ----------------------------------------------------------

    // The most one block holds; the rest goes in the next one.
    private const int MaxBlockBytes = 1 << 20;

    private bool _appendRetrying; // the appender holds entries that must be logged and were not yet

    private void RunAppender()
    {
        var retry = new List<Outgoing>();
        var taken = new List<Outgoing>();
        var buffer = new MemoryStream();
        var stop = _clusterStop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                _appendWanted.Wait(retry.Count > 0 ? StoreProbeInterval : Timeout.InfiniteTimeSpan, stop);
                _appendWanted.Reset(); // before the entries are taken: an entry added after this sets it again
            }
            catch (OperationCanceledException)
            {
                break;
            }
            Volatile.Write(ref _appendRetrying, retry.Count > 0);
            while (true)
            {
                taken.Clear();
                taken.AddRange(retry);
                retry.Clear();
                lock (_outLock)
                {
                    var size = taken.Sum(o => o.Bytes.Length);
                    var n = 0;
                    while (n < _outgoing.Count && (size < MaxBlockBytes || n == 0)) size += _outgoing[n++].Bytes.Length;
                    taken.AddRange(_outgoing.GetRange(0, n));
                    _outgoing.RemoveRange(0, n);
                }
                if (taken.Count == 0) break;
                buffer.SetLength(0);
                buffer.WriteByte(EntryReader.Format);
                List<int>? lost = null;
                foreach (var o in taken)
                {
                    buffer.Write(o.Bytes);
                    if (o.Lost != 0) (lost ??= new()).Add(o.Lost);
                }
                try
                {
                    var entries = buffer.ToArray();
                    var number = _cluster!.Append(entries, lost);
                    LogWorks(LogPart.Append);
                    // This node applies its own block at once, in the log's order (the reader is not woken for it).
                    _control.Writer.TryWrite(new WorkItem(null, null, Op.Apply, default, null) { Block = new LogBlock(number, _nodeId, entries) });
                }
                catch (ClusterFencedException ex)
                {
                    Fence(ex.Message);
                    return;
                }
                catch (StoreException ex)
                {
                    LogFailed(LogPart.Append, ex);
                    List<long>? refused = null;
                    foreach (var o in taken)
                        if (o.MustLog) retry.Add(o);
                        else (refused ??= new()).Add(o.Serial);
                    if (refused is not null) _control.Writer.TryWrite(new WorkItem(null, null, Op.Call, default, null) { Call = () => Refuse(refused) });
                    Volatile.Write(ref _appendRetrying, retry.Count > 0);
                    break;
                }
            }
        }
    }

    /// <summary>Command loop: items the log could not take. Replies and queries still run; changes are refused.</summary>
    private void Refuse(List<long> serials)
    {
        foreach (var serial in serials)
        {
            if (!_awaiting.Remove(serial, out var w)) continue;
            // What only reads (a reply, a query, /who, /history) is answered from this node's state all the same.
            var onlyLocal = w.Op is Op.Reply or Op.Query || w.Op == Op.Command && OnlyReads(w.Command!)
                || w.Op == Op.Unit && w.Steps!.All(step => step is not ChatCommand c || OnlyReads(c));
            if (onlyLocal)
            {
                Run(w with { FromLog = true });
                continue;
            }
            var firstEffect = _sink.Batch.Effects.Count;
            if (w.Refuse is { } refuse) refuse();
            else if (w.Session is { IsClosed: false } s) _handlers.Send(s, new ErrorReply(ErrorCode.StoreUnavailable, CannotStoreText, w.Command?.Target));
            if (w.Label is not null && w.Session is { } requester) GatherLabeled(requester, w.Label, firstEffect);
            if (w.Done is not null) _sink.Batch.Effects.Add(Pipeline.Effect.Complete(w.Done));
        }
    }

    /// <summary>A command that changes nothing anyone else sees, so this node may answer it while the log is away.</summary>
    private static bool OnlyReads(ChatCommand c) => c.Kind switch
    {
        CommandKind.Who or CommandKind.Help or CommandKind.Bamboo or CommandKind.Rooms or CommandKind.History or CommandKind.Whois
            or CommandKind.Audit => true,
        CommandKind.Topic => c.Text is null,
        CommandKind.Mode => string.IsNullOrEmpty(c.Text),
        _ => false,
    };

    // ---- The reader: the log's blocks, in order, to the command loop ---------------------------------------

    // The reader stays at most this many blocks ahead of what the command loop has applied.
    private const int MaxBlocksAhead = 256;
    private const int MaxBlocksRead = 64;

    private void RunReader(long after)
    {
        var stop = _clusterStop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (after - Volatile.Read(ref _applied) > MaxBlocksAhead)
                {
                    stop.WaitHandle.WaitOne(1); // the command loop is behind: let it apply what it has
                    continue;
                }
                // What the command loop applied already (this node's own blocks, from its appender) is not read again.
                after = Math.Max(after, Volatile.Read(ref _applied));
                var (blocks, mark) = _cluster!.Read(after, MaxBlocksRead);
                LogWorks(LogPart.Read);
                if (mark > Volatile.Read(ref _markSeen)) Volatile.Write(ref _markSeen, mark);
                foreach (var b in blocks)
                {
                    _control.Writer.TryWrite(new WorkItem(null, null, Op.Apply, default, null) { Block = b });
                    after = b.Number;
                }
                // A short read had every block there was: the next is waited for (a wake-up during the read counts).
                if (blocks.Count < MaxBlocksRead) _cluster.WaitForBlocks(StoreProbeInterval);
            }
            catch (StoreException ex)
            {
                LogFailed(LogPart.Read, ex);
                stop.WaitHandle.WaitOne(StoreProbeInterval);
            }
        }
    }
}

/// <summary>The cluster counted this node as gone: it may not write to the log any more.</summary>
public sealed class ClusterFencedException(string message) : StoreException(message);
