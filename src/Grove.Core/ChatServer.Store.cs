using System.Diagnostics;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Pipeline;

namespace Grove.Core;

// The commit loop's side of a failing store (a full disk, a read-only folder): a batch whose messages could not be
// stored delivers none of them, and each sender is told instead; the store is tried again with every batch, and
// every StoreProbeInterval while nothing comes, so it recovers by itself when space returns.
public sealed partial class ChatServer
{
    /// <summary>What the sender of a message that could not be stored is told (the durability promise).</summary>
    public const string CannotStoreText = "The server cannot store messages right now; try again in a moment.";

    // How often a failing store is tried while no batch comes, so /healthz turns ok again on a quiet server.
    private static readonly TimeSpan StoreProbeInterval = TimeSpan.FromSeconds(1);

    private int _storeFailing;

    /// <summary>Why the store failed last, in a sentence (for /healthz).</summary>
    public string? StoreProblem { get; private set; }

    /// <summary>True while the last write to the store failed.</summary>
    public bool StoreFailing => Volatile.Read(ref _storeFailing) == 1;

    /// <summary>
    /// Command loop: while the store fails, a command that changes what is kept (a topic, a registered room's settings,
    /// bans, the audit log) is refused like a message: applied in memory only, it would be announced and then be gone
    /// after the next start. Asking (a topic or modes without changes) still works.
    /// </summary>
    private bool RefusedWhileStoreFails(People.Session s, ChatCommand c)
    {
        if (!StoreFailing) return false;
        var changes = c.Kind switch
        {
            CommandKind.Topic => c.Text is not null, // "" clears it (IRC TOPIC #room :)
            CommandKind.Mode => !string.IsNullOrEmpty(c.Text),
            CommandKind.Kick or CommandKind.RoomRegister or CommandKind.Ban or CommandKind.Unban or CommandKind.Mute or CommandKind.Unmute
                or CommandKind.Op or CommandKind.Deop or CommandKind.Voice or CommandKind.Devoice or CommandKind.Lockdown or CommandKind.Kill => true,
            _ => false,
        };
        if (changes) _handlers.Send(s, new ErrorReply(ErrorCode.StoreUnavailable, CannotStoreText, c.Target));
        return changes;
    }

    /// <summary>Command loop: a command goes to its handler unless the store's failure refuses it.</summary>
    private void ExecuteCommand(People.Session s, ChatCommand c)
    {
        // In a cluster every node applies what the log holds: a refusal is made before logging, never here.
        if (_cluster is not null || !RefusedWhileStoreFails(s, c)) _handlers.Execute(s, c);
    }

    // Commit loop only: room rows whose commit failed. A change made before anyone knew the store was down was
    // applied and announced; a row is the room's whole state, so writing it with the next commit keeps it.
    private readonly List<StoredRoom> _roomsNotStored = new();

    /// <summary>Commit loop: writes one group commit. False when the messages and room changes were not stored.</summary>
    private bool CommitToStore(List<StoredMessage> messages, List<StoredRoom> rooms, Accounts.StoreChanges changes)
    {
        var started = Stopwatch.GetTimestamp();
        var stored = true;
        if (_roomsNotStored.Count > 0) rooms = [.. _roomsNotStored, .. rooms];
        try
        {
            if (messages.Count > 0 || rooms.Count > 0) _store.Commit(messages, rooms);
            _roomsNotStored.Clear();
        }
        catch (Exception ex)
        {
            stored = false;
            StoreFailed(ex);
            // Only each room's latest row is worth keeping.
            var latest = rooms.GroupBy(r => Names.NameRules.Fold(r.Name)).Select(g => g.Last()).ToList();
            _roomsNotStored.Clear();
            _roomsNotStored.AddRange(latest);
        }
        try
        {
            if (!changes.IsEmpty) _store.CommitChanges(changes);
        }
        catch (Exception ex)
        {
            StoreFailed(ex);
            return false;
        }
        if (!stored) return false;
        Metrics.Committed(messages.Count, Stopwatch.GetElapsedTime(started));
        StoreWorks();
        return true;
    }

    private void StoreFailed(Exception ex)
    {
        Metrics.CommitFailed();
        // Said once per failure episode in the log.
        if (Interlocked.Exchange(ref _storeFailing, 1) == 0) Log.StoreFailed(_logger, ex.Message);
    }

    private void StoreWorks()
    {
        if (Interlocked.Exchange(ref _storeFailing, 0) == 1) Log.StoreRecovered(_logger);
    }

    /// <summary>Commit loop: waits for batches; while the store fails, tries it now and then meanwhile.</summary>
    private async ValueTask<bool> WaitForBatchesAsync(System.Threading.Channels.ChannelReader<Batch> reader)
    {
        var wait = reader.WaitToReadAsync();
        if (wait.IsCompleted || !StoreFailing) return await wait.ConfigureAwait(false);
        var waiting = wait.AsTask();
        while (StoreFailing && !waiting.IsCompleted)
        {
            using var stop = new CancellationTokenSource();
            await Task.WhenAny(waiting, Task.Delay(StoreProbeInterval, _time, stop.Token)).ConfigureAwait(false);
            stop.Cancel();
            if (waiting.IsCompleted) break;
            try
            {
                if (_store.ProbeWrite()) StoreWorks();
            }
            catch (Exception)
            {
                // Still failing: the next batch or probe tries again.
            }
        }
        return await waiting.ConfigureAwait(false);
    }

    // Commit loop only: messages that were not stored and may still be in a room's recent ring, so in a join's replay
    // or a /history answer made by the command loop before it heard of the failure.
    private readonly HashSet<long> _unstored = new();

    /// <summary>
    /// Commit loop: when <paramref name="failed"/> holds messages that could not be stored, every copy of them in the
    /// batches is taken out (to rooms, to the other person, to the sender's other connections) and the sender's own
    /// copy becomes the refusal; until the command loop has taken them out of the rooms' rings, replays lose them too.
    /// </summary>
    private void WithholdUnstored(List<Batch> pending, List<StoredMessage>? failed)
    {
        if (failed is { Count: > 0 })
        {
            var inRooms = new List<StoredMessage>();
            var ids = new List<long>(failed.Count);
            foreach (var m in failed)
            {
                _unstored.Add(m.Id);
                ids.Add(m.Id);
                if (m.Room is not null) inRooms.Add(m);
            }
            _control.Writer.TryWrite(new WorkItem(null, null, Op.Call, default, null) { Call = () => ForgetUnstored(inRooms, ids) });
        }
        if (_unstored.Count == 0) return;
        var refused = new HashSet<long>();
        foreach (var b in pending)
        {
            var effects = b.Effects;
            for (var i = 0; i < effects.Count; i++)
            {
                if (effects[i].Event is not { } ev) continue;
                var replaced = Withhold(ev, _unstored, refused);
                if (replaced is null) effects.RemoveAt(i--);
                else if (!ReferenceEquals(replaced, ev)) effects[i] = effects[i] with { Event = replaced };
            }
            // Batches after this one were made once the rings had forgotten these.
            if (b.Forgotten is { } forgotten) foreach (var id in forgotten) _unstored.Remove(id);
        }
    }

    // The event as it may still be delivered: itself, the refusal (the first sender's copy), or null (withheld).
    private static ChatEvent? Withhold(ChatEvent ev, HashSet<long> ids, HashSet<long> refused)
    {
        switch (ev)
        {
            case RoomMessageEvent m when ids.Contains(m.Id):
            case PrivateMessageEvent p when ids.Contains(p.Id):
                return null;
            case EchoReply { Message: RoomMessageEvent m } when ids.Contains(m.Id):
                return refused.Add(m.Id) ? new ErrorReply(ErrorCode.StoreUnavailable, CannotStoreText, m.Room) : null;
            case PrivateSentReply p when ids.Contains(p.Message.Id):
                return refused.Add(p.Message.Id) ? new ErrorReply(ErrorCode.StoreUnavailable, CannotStoreText, p.Message.To) : null;
            case HistoryReply h when h.Messages.Any(m => m is RoomMessageEvent r && ids.Contains(r.Id)):
                return new HistoryReply(h.Target, h.Messages.Where(m => m is not RoomMessageEvent r || !ids.Contains(r.Id)).ToList(), h.OnJoin);
            case LabeledReply l:
                var events = new List<ChatEvent>(l.Events.Count);
                var changed = false;
                foreach (var inner in l.Events)
                {
                    var kept = Withhold(inner, ids, refused);
                    changed |= !ReferenceEquals(kept, inner);
                    if (kept is not null) events.Add(kept);
                }
                return changed ? new LabeledReply(l.Label, events) : l;
            default:
                return ev;
        }
    }

    // Command loop: takes messages that were never stored out of their rooms' recent rings, and says so to the commit
    // loop with the next batch.
    private void ForgetUnstored(List<StoredMessage> inRooms, List<long> ids)
    {
        foreach (var group in inRooms.GroupBy(m => m.Room!))
            if (_state.Rooms.TryGetValue(group.Key, out var room))
                room.Recent.Remove(group.Select(m => m.Id).ToHashSet());
        (_sink.Batch.Forgotten ??= new()).AddRange(ids);
    }
}
