using System.Diagnostics;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Grove.Core.Pipeline;

namespace Grove.Core;

// Stages 2 and 3 of the pipeline (see the ChatServer summary): the commit loop writes each batch to the store in
// one transaction, then the delivery loop renders and enqueues its effects in order (Pipeline/Effects.cs has the
// effect and batch types that the handlers fill).
public sealed partial class ChatServer
{
    // ---- Stage 2: the commit loop --------------------------------------------------------------------------

    private async Task RunCommitLoop()
    {
        var reader = _toCommit.Reader;
        var pending = new List<Batch>();
        var messages = new List<StoredMessage>();
        var rooms = new List<StoredRoom>();
        var changes = new Accounts.StoreChanges();
        while (await WaitForBatchesAsync(reader).ConfigureAwait(false))
        {
            while (reader.TryRead(out var b)) pending.Add(b);
            foreach (var b in pending)
            {
                messages.AddRange(b.Messages);
                rooms.AddRange(b.RoomChanges);
                if (b.HasChanges) changes.AddFrom(b.Changes);
            }
            var stored = messages.Count == 0 && rooms.Count == 0 && changes.IsEmpty || CommitToStore(messages, rooms, changes);
            changes.Clear();
            // Nothing is delivered that is not stored: the messages of a failed commit are withheld, their senders told.
            WithholdUnstored(pending, stored ? null : messages);
            HandToDelivery(pending);
            pending.Clear();
            messages.Clear();
            rooms.Clear();
        }
        _toDeliver.Writer.TryComplete();
    }

    /// <summary>Commit loop: these batches are stored; their reads are answered and they go to the delivery loop.</summary>
    private void HandToDelivery(List<Batch> batches)
    {
        foreach (var b in batches) if (b.HasReads) AnswerReads(b);
        var weight = 0;
        foreach (var b in batches)
        {
            weight += b.CommitWeight;
            Interlocked.Increment(ref _deliveryBacklog);
            _toDeliver.Writer.TryWrite(b);
        }
        Committed(weight);
    }

    // The batch's store reads, answered now that it is committed (see AfterCommit).
    private void AnswerReads(Batch b)
    {
        var effects = b.Effects;
        for (var i = 0; i < effects.Count; i++)
        {
            if (effects[i].Kind != EffectKind.Read) continue;
            ChatEvent reply;
            try
            {
                reply = effects[i].Read!(_store);
            }
            catch (StoreException ex)
            {
                // The store is away (PostgreSQL down, a damaged page): a known condition, said in one line.
                Log.StoreReadFailed(_logger, ex.Message);
                reply = new ErrorReply(Commands.ErrorCode.BadArgument, "That is not available right now (the server's store failed to read it).");
            }
            catch (Exception ex)
            {
                Log.DeliveryFailed(_logger, ex, "a store read");
                reply = new ErrorReply(Commands.ErrorCode.BadArgument, "That is not available right now (the server's store failed to read it).");
            }
            effects[i] = Effect.One(reply, effects[i].Target!);
        }
    }

    // ---- Stage 3: the delivery loop ------------------------------------------------------------------------

    // A delivery round: the batches available at once, up to MaxBatchesPerRound. Each recipient's segments of a
    // round are staged (delivery loop only) and handed to its outbox in one piece at the end of the round, or before
    // anything whose order matters (a close, a completion). A busy room thus costs one lock and one wake-up per
    // recipient per round, not per message.
    private const int MaxBatchesPerRound = 16;
    private readonly List<Session> _staged = new();
    private int _deliveryBacklog; // batches committed and not yet taken by the delivery loop
    private int _delivering;      // 1 while the delivery loop hands out a round
    private long _deliveredInRound;

    private async Task RunDeliveryLoop()
    {
        var reader = _toDeliver.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Volatile.Write(ref _delivering, 1);
            var batches = 0;
            while (batches++ < MaxBatchesPerRound && TryTakeBatch(out var batch)) DeliverBatch(batch);
            HandOverStaged();
            Volatile.Write(ref _delivering, 0);
        }
    }

    private bool TryTakeBatch(out Batch batch)
    {
        if (!_toDeliver.Reader.TryRead(out batch!)) return false;
        Interlocked.Decrement(ref _deliveryBacklog);
        return true;
    }

    private void DeliverBatch(Batch batch)
    {
        if (batch.Messages.Count > 0 && batch.TakenIn != 0 && (_roundTakenIn == 0 || batch.TakenIn < _roundTakenIn)) _roundTakenIn = batch.TakenIn;
        var effects = batch.Effects;
        for (var i = 0; i < effects.Count; i++)
        {
            _batchLeft = effects.Count - i - 1;
            try
            {
                Deliver(effects[i]);
            }
            catch (Exception ex)
            {
                Log.DeliveryFailed(_logger, ex, effects[i].Event?.GetType().Name ?? effects[i].Kind.ToString());
            }
        }
    }

    // Delivery loop only: the effects still to come in the batch being delivered (0 between batches, as the last
    // effect leaves it). A close or completion hands over what is staged before its own effect; with more of its batch
    // to come, that hand-over must not take in a later batch, whose messages would then reach everyone before the rest
    // of this one (someone's messages out of order whenever a person was closed in a busy room). A batch is taken in
    // only at 0, so a batch delivered inside a hand-over also ends at 0.
    private int _batchLeft;

    /// <summary>Batches committed and not yet taken by the delivery loop (for tests).</summary>
    internal int DeliveryBacklog => Volatile.Read(ref _deliveryBacklog);

    private void Deliver(in Effect e)
    {
        switch (e.Kind)
        {
            case EffectKind.One:
                DeliverTo(e.Target!, e.Event!);
                break;
            case EffectKind.Many:
                var except = e.Except;
                foreach (var s in e.Targets!)
                    if (!ReferenceEquals(s, except)) DeliverTo(s, e.Event!);
                break;
            case EffectKind.Close:
                HandOverStaged();
                MarkClosed(e.Target!, e.Reason, graceful: true);
                Forget(e.Target!);
                break;
            case EffectKind.Complete:
                HandOverStaged();
                e.Done!.TrySetResult();
                break;
        }
    }

    private void DeliverTo(Session s, ChatEvent ev)
    {
        if (s.IsClosed || s.IsRemote) return;
        var bytes = ev.EncodeFor(s);
        if (bytes.IsEmpty) return;
        if (s.Outbox.PendingBytes + s.StagedBytes + bytes.Length > s.Outbox.MaxBytes)
        {
            DropStaged(s);
            Disconnect(s, DisconnectReason.SendQueueExceeded);
            return;
        }
        var staged = s.Staged ??= _stagedLists.Count > 0 ? _stagedLists.Pop() : new List<ReadOnlyMemory<byte>>();
        if (staged.Count == 0) _staged.Add(s);
        staged.Add(bytes);
        s.StagedBytes += bytes.Length;
        _deliveredInRound++;
    }

    private void HandOverStaged()
    {
        // Caught up (no batch waiting), each recipient gets its bytes at once, sent by this loop. Behind (a join storm
        // in a room of thousands), the bytes are queued for the connections' writer loops, which then send many
        // rounds' worth in one go: one send per event per member would make the storm quadratic in sends.
        //
        // Sending to a big room takes a while (a few microseconds per recipient, mostly the kernel's). A batch
        // committed meanwhile is taken in at once rather than after the round: the recipients not yet sent to get
        // both in one send, and those already sent to are staged again at the end. The later message then waits
        // for part of a round, not all of it, and the round costs fewer sends. Each recipient's order is kept. Only
        // between batches: a hand-over before a close with more of its batch to come takes nothing in.
        var sendNow = Volatile.Read(ref _deliveryBacklog) == 0;
        var takenIn = 0;
        // _handedOver is a field: a close or completion in a batch taken in hands over the rest first (re-entry).
        while (_handedOver < _staged.Count)
        {
            var s = _staged[_handedOver++];
            if (s.Staged is { Count: > 0 } staged && !s.IsClosed)
            {
                if (!s.Outbox.TryEnqueueMany(staged, s.StagedBytes, sendNow))
                {
                    _deliveredInRound -= staged.Count;
                    Disconnect(s, DisconnectReason.SendQueueExceeded);
                }
            }
            DropStaged(s);
            if (sendNow && _batchLeft == 0 && takenIn < MaxBatchesPerRound && Volatile.Read(ref _deliveryBacklog) > 0 && TryTakeBatch(out var batch))
            {
                takenIn++;
                Metrics.TakenInMidRound();
                DeliverBatch(batch);
            }
        }
        _staged.Clear();
        _handedOver = 0;
        if (_deliveredInRound > 0) Metrics.Delivered(_deliveredInRound);
        _deliveredInRound = 0;
        if (_roundTakenIn != 0) Metrics.DeliveryLatency(Stopwatch.GetElapsedTime(_roundTakenIn));
        _roundTakenIn = 0;
    }

    // Delivery loop only: when the oldest message command of the round being handed over was taken in (0: none).
    private long _roundTakenIn;

    private int _handedOver; // delivery loop only: how many of _staged this round's hand-over has done

    // The delivery loop's staging lists, lent to recipients for a round and given back after it: a person who is sent
    // nothing keeps none (an idle connection is smaller by a list and its array).
    private readonly Stack<List<ReadOnlyMemory<byte>>> _stagedLists = new();

    private void DropStaged(Session s)
    {
        if (s.Staged is not { } staged) return;
        staged.Clear();
        s.StagedBytes = 0;
        s.Staged = null;
        // A list grown by one burst is not kept.
        if (staged.Capacity <= 1024 && _stagedLists.Count < 16_384) _stagedLists.Push(staged);
    }
}
