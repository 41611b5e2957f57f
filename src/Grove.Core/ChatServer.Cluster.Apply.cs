using Grove.Core.Cluster;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.History;
using Grove.Core.People;
using Grove.Core.Pipeline;

namespace Grove.Core;

// A node of a cluster applies the command log: each block, in the log's order, is one batch (so whichever node
// materializes a block writes the same messages), each entry run by the same handlers as on a server alone.
public sealed partial class ChatServer
{
    // Command loop only: this node's own blocks, handed over by its appender before the reader brought the blocks
    // before them. (The reader brings every block in order, so it never leaves a gap behind these.)
    private readonly SortedDictionary<long, LogBlock> _early = new();

    /// <summary>Command loop: applies a block of the log (from the reader, or this node's own from its appender), in order.</summary>
    private void ApplyBlock(LogBlock block)
    {
        if (block.Number <= _applied || IsFenced) return;
        if (block.Number > _applied + 1)
        {
            _early.TryAdd(block.Number, block);
            return;
        }
        ApplyInOrder(block);
        while (_early.Count > 0)
        {
            var (number, next) = _early.First();
            if (number > _applied + 1) break;
            _early.Remove(number);
            if (number == _applied + 1 && !IsFenced) ApplyInOrder(next);
        }
    }

    private void ApplyInOrder(LogBlock block)
    {
        FlushBatch();
        _sink.Batch.Block = block.Number;
        _sink.Batch.OwnBlock = block.Node == _nodeId;
        var reader = new EntryReader(block.Entries);
        if (reader.Version != EntryReader.Format)
        {
            // A node of a newer Grove wrote it: applying a part of it would make this node's state differ from the others'.
            Fence($"block {block.Number} of the command log is in format {reader.Version}, which this Grove does not know (format {EntryReader.Format}); run the same Grove version on every node");
            return;
        }
        var own = block.Node == _nodeId;
        var knownNode = _lastSerial.TryGetValue(block.Node, out var last);
        while (reader.Next(out var entry))
        {
            // An append retried after its answer was lost may be in the log twice: each node's serials only grow.
            if (entry.Serial <= last) continue;
            last = entry.Serial;
            _lastSerial[block.Node] = last;
            if (own && _awaiting.Remove(entry.Serial, out var mine))
            {
                Run(mine with { FromLog = true, Stamp = entry.Stamp });
                continue;
            }
            // Everything a node logged after it was counted lost is left out, on every node alike.
            if (_goneNodes.Contains(block.Node)) continue;
            try
            {
                ApplyEntry(block.Node, entry, reader);
            }
            catch (Exception ex)
            {
                // Every node meets the same entry the same way: skipping it keeps them alike, and the loop goes on.
                Log.BadEntry(_logger, block.Number, ex.ToString());
            }
        }
        _applied = block.Number;
        if (!knownNode) CountNodesInLog();
        FlushBatch();
        if (_applied >= _catchUpTarget) _caughtUp.TrySetResult();
    }

    /// <summary>
    /// An entry logged by another node (or by this one, when the append looked failed but was committed): its
    /// commands run against the connection as this node knows it; replies and queries are its own node's.
    /// </summary>
    private void ApplyEntry(int node, in EntryHeader entry, EntryReader reader)
    {
        switch (entry.Op)
        {
            case EntryOp.Connect:
                if (node == _nodeId) return;
                var (door, remote, policy, at, owner, nodeName) = reader.ReadConnect();
                var s = new Session(door, remote, policy, node, entry.Session, nodeName) { ConnectedAt = at };
                s.SetGuestOwner(owner);
                _remote[(node, entry.Session)] = s;
                _remoteView[(node, entry.Session)] = s;
                Interlocked.Increment(ref _remoteChanges);
                return;
            case EntryOp.NodeLost:
                NodeGone(reader.Body.ReadInt32(), null, "node lost", entry.Stamp);
                return;
            case EntryOp.NodeLeaving:
                NodeGone(node, null, "node restarting", entry.Stamp);
                return;
        }
        var who = SessionOf(node, entry.Session);
        if (who is null) return; // it connected before this node's epoch base, or left already
        var w = new WorkItem(who, null, Op.Command, default, null) { FromLog = true, Stamp = entry.Stamp };
        switch (entry.Op)
        {
            case EntryOp.Command:
                TouchRemote(who, entry.Stamp);
                Run(w with { Command = reader.ReadCommand() });
                break;
            case EntryOp.Unit:
                TouchRemote(who, entry.Stamp);
                var n = reader.Body.ReadInt32();
                var steps = new List<object>(n);
                for (var i = 0; i < n; i++)
                    if (reader.Body.ReadBoolean()) steps.Add(reader.ReadCommand());
                Run(w with { Op = Op.Unit, Steps = steps });
                break;
            case EntryOp.Leave:
                Run(w with { Op = Op.Leave, Reason = reader.ReadReason() });
                Forget(node, entry.Session);
                break;
            case EntryOp.Kick:
                var reason = reader.ReadReason();
                Run(w with { Op = Op.Kick, Reason = reason, Command = new ChatCommand(CommandKind.Quit, Text: reader.Body.ReadString()) });
                Forget(node, entry.Session);
                break;
            case EntryOp.Account:
                var step = AccountStep.Read(reader.Body);
                Run(w with { Op = Op.Call, Call = () => step.Apply(_handlers, who), Step = step });
                break;
            case EntryOp.Local:
                break;
        }
    }

    /// <summary>
    /// A line from a person on another node: their idle time (WHOIS) starts again. Their door touched them on their
    /// own node; here it is this node's tick count, less how long ago (by the wall clock) the line was sent.
    /// </summary>
    private void TouchRemote(Session who, CommandStamp stamp)
    {
        if (!who.IsRemote) return;
        var ago = (long)Math.Clamp((_time.GetUtcNow() - stamp.Time).TotalMilliseconds, 0, int.MaxValue); // wall clock: the stamp is another machine's, and only the wall clock is shared
        who.TouchAt(Environment.TickCount64 - ago);
    }

    // Command loop only: the newest entry serial applied from each node.
    private readonly Dictionary<int, long> _lastSerial = new();

    // The nodes this one knows from the log (it, and every other that logged something and is not gone), in log order
    // on every node; the lease's count (ServerCount) catches a node that has logged nothing yet. Command loop writes.
    private int _nodesInLog = 1;

    private void CountNodesInLog() =>
        Volatile.Write(ref _nodesInLog, 1 + _lastSerial.Keys.Count(k => k != _nodeId && !_goneNodes.Contains(k)));

    private Session? SessionOf(int node, long id) =>
        node == _nodeId ? _sessions.GetValueOrDefault(id) : _remote.GetValueOrDefault((node, id));

    private void Forget(int node, long id)
    {
        if (node == _nodeId) return;
        if (_remote.Remove((node, id))) Interlocked.Increment(ref _remoteChanges);
        _remoteView.TryRemove((node, id), out _);
    }

    private long _remoteChanges;

    /// <summary>
    /// Connections of other nodes that came or went here: they cost this node memory as its own do (the memory
    /// trimmer counts them with the doors' arrivals and departures).
    /// </summary>
    public long RemoteConnectionChanges => Interlocked.Read(ref _remoteChanges);

    /// <summary>Command loop: a node stopped or was lost; its people leave every room, on every node alike.</summary>
    private void NodeGone(int node, string? notice, string reason, CommandStamp stamp)
    {
        if (node == _nodeId)
        {
            // Another node counted this one lost: its people are gone everywhere else, so they go here too.
            if (notice is null) Fence("the cluster counted this node as lost, or a node started with the same name (--node-name) replaced it");
            _handlers.Stamp = stamp;
            _handlers.NodeGone(_sessions.Values.OrderBy(p => p.Id).ToList(), notice ?? NodeLostText, reason, DisconnectReason.ServerShutdown);
            return;
        }
        if (!_goneNodes.Add(node)) return;
        CountNodesInLog();
        var people = _remote.Where(kv => kv.Key.Item1 == node).OrderBy(kv => kv.Key.Item2).Select(kv => kv.Value).ToList();
        _handlers.Stamp = stamp;
        _handlers.ForRemote = true;
        _handlers.NodeGone(people, null, reason, DisconnectReason.ConnectionLost);
        foreach (var p in people)
        {
            if (_remote.Remove(p.OriginKey)) Interlocked.Increment(ref _remoteChanges);
            _remoteView.TryRemove(p.OriginKey, out _);
        }
    }

    /// <summary>Said to this node's people when the cluster counted it as lost.</summary>
    public const string NodeLostText = "This node lost touch with the cluster; reconnecting…";
}
