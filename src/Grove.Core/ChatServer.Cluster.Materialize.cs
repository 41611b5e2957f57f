using System.Diagnostics;
using Grove.Core.Cluster;
using Grove.Core.History;
using Grove.Core.Pipeline;

namespace Grove.Core;

// A node of a cluster stores through the log: a block is durable once its append committed, and every node applies it
// to the same state, so its messages are the same on every node and can be written again from the log after any
// crash (a node that starts when no node is alive applies what was never materialized). So a node delivers a block as
// soon as it is applied, and writes its messages and changes to the tables (materializes) just after, off the path of
// delivery: the node that appended a block writes it at once; the others only when it is still not written a moment
// later (its node died), learning the mark from their reads of the log. Store reads (history) wait for the tables.
public sealed partial class ChatServer
{
    /// <summary>A block applied and delivered and not yet in the tables: its changes, and whether this node appended it.</summary>
    private readonly record struct Unmaterialized(BlockChanges Changes, bool Own, long Since, int Weight);

    // A block of another node is written by its node; this node writes it only when it is still not written this long
    // after this node applied it (its node died, or is slow).
    private static readonly TimeSpan OthersBlocksAfter = TimeSpan.FromMilliseconds(50);

    // This node writes its own blocks at most this often, each time all that came meanwhile in one transaction (the
    // tables are not on the path of delivery; a store read waiting for them is served at once).
    private static readonly TimeSpan OwnBlocksEvery = TimeSpan.FromMilliseconds(20);

    // At most this much (messages and room rows, plus one per block) waits to be materialized; past it the command loop
    // takes no more commands (the doors stop reading) until the tables catch up.
    private const int MaxUnmaterialized = 65_536;

    // From the commit loop to the materializer (under the lock).
    private readonly Lock _materializeLock = new();
    private readonly List<Unmaterialized> _toMaterialize = new();
    // No spinning before it sleeps (spinning took CPU the other processes of a cluster's machine needed).
    private readonly ManualResetEventSlim _materializeWanted = new(false, 0);
    private Thread? _materializer;
    private int _unmaterializedWeight; // Interlocked: added by the command or commit loop, taken off by the materializer
    private long _materialized;        // the newest block known to be in the tables (materializer writes, readers of the store read)
    private long _markSeen;            // the same, as the reader last read it from the log (reader writes)
    private volatile bool _readsWaiting, _materializeFinal;

    // Batches handed to the commit loop and not yet passed on by it (command loop adds, commit loop takes off).
    private int _viaCommitLoop;

    /// <summary>
    /// Command loop, in a cluster: a batch that reads nothing from the store goes to the delivery loop from here (its
    /// block is in the log already), unless batches handed to the commit loop before it are still there (order).
    /// </summary>
    private bool DeliveredFromLoop(Batch b)
    {
        if (b.HasReads || Volatile.Read(ref _viaCommitLoop) != 0)
        {
            Interlocked.Increment(ref _viaCommitLoop);
            return false;
        }
        if (b.Block > 0) QueueMaterialize(b);
        Interlocked.Increment(ref _deliveryBacklog);
        _toDeliver.Writer.TryWrite(b);
        return true;
    }

    /// <summary>A block's batch is delivered: its rows go to the materializer (in block order), which looks every few ms.</summary>
    private void QueueMaterialize(Batch b)
    {
        var weight = b.Messages.Count + b.RoomChanges.Count + 1;
        Interlocked.Add(ref _unmaterializedWeight, weight);
        lock (_materializeLock)
            _toMaterialize.Add(new(new BlockChanges(b.Block, b.Messages, b.RoomChanges, b.HasChanges ? b.Changes : null), b.OwnBlock,
                Stopwatch.GetTimestamp(), weight));
    }

    private bool MaterializeBehind => Volatile.Read(ref _unmaterializedWeight) >= MaxUnmaterialized;

    /// <summary>
    /// The commit loop of a cluster node, for what the command loop does not deliver by itself (store reads, and what
    /// comes after them): a block's batch is delivered as soon as it comes (the block is durable in the log), and
    /// handed to the materializer. A batch that reads the store (history) waits, with every batch after it,
    /// until the tables hold every block applied before it, or the tables cannot be written right now.
    /// </summary>
    private void RunClusterCommitLoop()
    {
        _materializer = new Thread(RunMaterializer) { IsBackground = true, Name = "grove log materializer" };
        _materializer.Start();
        var reader = _toCommit.Reader;
        var ready = new List<Batch>();
        var held = new Queue<(Batch Batch, long Needs, long Since)>();
        Task<bool>? wait = null;
        while (true)
        {
            // At most one wait on the channel at a time (see the command loop); while reads are held, it is looked at
            // every millisecond for the materializer's progress.
            wait ??= reader.WaitToReadAsync().AsTask();
            if (held.Count == 0) wait.Wait();
            else wait.Wait(1);
            if (wait.IsCompleted)
            {
                if (!wait.Result) break;
                wait = null;
            }
            while (reader.TryRead(out var b))
            {
                if (b.Block > 0) QueueMaterialize(b);
                // What the read needs in the tables: every block applied before it (or a little more).
                var needs = Math.Max(b.Block, Volatile.Read(ref _applied));
                if (held.Count > 0 || b.HasReads && Volatile.Read(ref _materialized) < needs) held.Enqueue((b, needs, Stopwatch.GetTimestamp()));
                else ready.Add(b);
            }
            while (held.Count > 0 && MayReadStore(held.Peek().Needs, held.Peek().Since)) ready.Add(held.Dequeue().Batch);
            _readsWaiting = held.Count > 0;
            if (held.Count > 0) WakeMaterializer();
            if (ready.Count > 0)
            {
                HandToDelivery(ready);
                // Passed on: once none is left here, the command loop delivers again by itself.
                Interlocked.Add(ref _viaCommitLoop, -ready.Count);
                ready.Clear();
            }
        }
        // Stopping: what is left is written (a few seconds at most), then the reads held for it are answered.
        _materializeFinal = true;
        WakeMaterializer();
        _materializer.Join(TimeSpan.FromSeconds(5));
        while (held.Count > 0) ready.Add(held.Dequeue().Batch);
        HandToDelivery(ready);
        _toDeliver.Writer.TryComplete();
    }

    /// <summary>Commit loop: a read may run once the tables hold the blocks before it, or when they cannot be written.</summary>
    private bool MayReadStore(long needs, long since) =>
        Volatile.Read(ref _materialized) >= needs || (Volatile.Read(ref _logFailing) & (int)LogPart.Materialize) != 0 ||
        Stopwatch.GetElapsedTime(since) >= StoreProbeInterval;

    /// <summary>
    /// Any thread, before it reads the store: waits until the tables hold every block this node has applied (on a
    /// server alone, or when the tables cannot be written right now, or after a second, at once).
    /// </summary>
    private async Task TablesHoldAppliedAsync()
    {
        if (_cluster is null) return;
        var needs = Volatile.Read(ref _applied);
        var since = Stopwatch.GetTimestamp();
        if (MayReadStore(needs, since)) return;
        Interlocked.Increment(ref _storeReadersWaiting);
        try
        {
            WakeMaterializer();
            while (!MayReadStore(needs, since)) await Task.Delay(1).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _storeReadersWaiting);
        }
    }

    private int _storeReadersWaiting; // readers off the loops waiting in TablesHoldAppliedAsync

    private void WakeMaterializer()
    {
        _materializeWanted.Set();
    }

    private void RunMaterializer()
    {
        var pending = new List<Unmaterialized>();
        long retryAt = 0;  // while PostgreSQL fails: when to try again
        long lastRun = 0;  // when this node last wrote
        while (true)
        {
            var final = _materializeFinal;
            if (!final)
            {
                // Asleep until the next write is due, or the next look at what came (no wake-up per block: that cost
                // a thread switch each); woken early only for store reads that wait, and to stop.
                _materializeWanted.Wait(pending.Count == 0 && retryAt == 0 ? OwnBlocksEvery : Remaining(DueAt(pending, retryAt, lastRun)));
                _materializeWanted.Reset(); // before the queue is taken: a wake-up after this is for what comes after
                final = _materializeFinal;
            }
            lock (_materializeLock)
            {
                pending.AddRange(_toMaterialize);
                _toMaterialize.Clear();
            }
            Written(pending, Volatile.Read(ref _markSeen));
            if (pending.Count == 0)
            {
                if (final) return;
                continue;
            }
            if (!final && Stopwatch.GetTimestamp() < DueAt(pending, retryAt, lastRun)) continue;
            var started = lastRun = Stopwatch.GetTimestamp();
            try
            {
                var blocks = pending.ConvertAll(static u => u.Changes);
                var mark = _cluster!.Materialize(blocks);
                retryAt = 0;
                LogWorks(LogPart.Materialize);
                Metrics.Committed(blocks.Sum(static b => b.Messages.Count), Stopwatch.GetElapsedTime(started));
                Written(pending, mark);
            }
            catch (StoreException ex)
            {
                LogFailed(LogPart.Materialize, ex);
                if (final) return; // the next node to start alone applies these blocks again from the log
                retryAt = Stopwatch.GetTimestamp() + Ticks(StoreProbeInterval);
            }
        }
    }

    /// <summary>Materializer: when the pending blocks are to be written (a Stopwatch timestamp).</summary>
    private long DueAt(List<Unmaterialized> pending, long retryAt, long lastRun)
    {
        if (retryAt != 0) return retryAt;
        if (_readsWaiting || Volatile.Read(ref _storeReadersWaiting) > 0) return 0;
        var others = pending.Count == 0 ? long.MaxValue : pending[0].Since + Ticks(OthersBlocksAfter);
        return pending.Exists(static u => u.Own) ? Math.Min(others, lastRun + Ticks(OwnBlocksEvery)) : others;
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    // Whole milliseconds, rounded up: a wait of less than one would return at once, again and again, until it was due.
    private static TimeSpan Remaining(long until) =>
        TimeSpan.FromMilliseconds(Math.Ceiling(Math.Max(0, until - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency));

    /// <summary>Materializer: the blocks up to <paramref name="mark"/> are in the tables (written here or by another node).</summary>
    private void Written(List<Unmaterialized> pending, long mark)
    {
        if (mark > Volatile.Read(ref _materialized)) Volatile.Write(ref _materialized, mark);
        var n = 0;
        var weight = 0;
        while (n < pending.Count && pending[n].Changes.Block <= mark) weight += pending[n++].Weight;
        if (n == 0) return;
        pending.RemoveRange(0, n);
        var left = Interlocked.Add(ref _unmaterializedWeight, -weight);
        // The command loop stopped taking commands while this was behind: something on its control channel wakes it.
        // Judged from this one atomic step (a weight added between a separate look and the step hid the crossing).
        if (left < MaxUnmaterialized && left + weight >= MaxUnmaterialized) _control.Writer.TryWrite(new WorkItem(null, null, Op.Call, default, null) { Call = static () => { } });
    }
}
