using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;

namespace Grove.Core.Pipeline;

/// <summary>
/// When the command loop took a command in: the only time a handler reads. Wall time for what people see (message
/// times, topics), the monotonic clock for spans (login lock-outs), and the doors' input clock for idle times.
/// </summary>
public readonly record struct CommandStamp(DateTimeOffset Time, TimeSpan Monotonic, long InputTicks);

internal enum EffectKind { One, Many, Close, Complete, Read }

/// <summary>One thing a command caused, carried by the pipeline: an event to deliver, a close, a completion, a store read.</summary>
internal readonly record struct Effect(EffectKind Kind, ChatEvent? Event, Session? Target, Session[]? Targets, Session? Except, DisconnectReason Reason, TaskCompletionSource? Done)
{
    public Func<IMessageStore, ChatEvent>? Read { get; init; }
    public static Effect ReadThen(Func<IMessageStore, ChatEvent> read, Session to) => new(EffectKind.Read, null, to, null, null, default, null) { Read = read };
    public static Effect One(ChatEvent ev, Session to) => new(EffectKind.One, ev, to, null, null, default, null);
    public static Effect Many(ChatEvent ev, Session[] to, Session? except) => new(EffectKind.Many, ev, null, to, except, default, null);
    public static Effect Close(Session s, DisconnectReason r) => new(EffectKind.Close, null, s, null, null, r, null);
    public static Effect Complete(TaskCompletionSource done) => new(EffectKind.Complete, null, null, null, null, default, done);
}

/// <summary>The effects of the commands the command loop ran together: committed in one transaction, delivered in one order.</summary>
internal sealed class Batch
{
    public readonly List<Effect> Effects = new();
    public readonly List<StoredMessage> Messages = new();
    public readonly List<StoredRoom> RoomChanges = new();
    /// <summary>When its first command was submitted (Stopwatch timestamp; 0 for a batch of control items only).</summary>
    public long TakenIn;
    /// <summary>In a cluster: the block of the command log this batch applied (0: none).</summary>
    public long Block;
    private Accounts.StoreChanges? _changes;
    /// <summary>Account and moderation records to store with this batch (made on first use: most batches have none).</summary>
    public Accounts.StoreChanges Changes => _changes ??= new();
    public bool HasChanges => _changes is { IsEmpty: false };
    /// <summary>Some effect is a store read for the commit loop to answer (AfterCommit).</summary>
    public bool HasReads;
    /// <summary>Ids of unstored messages the command loop has taken out of the rooms' rings (ForgetUnstored).</summary>
    public List<long>? Forgotten;
    /// <summary>In a cluster: this node appended the block (it writes the block's rows to the tables first).</summary>
    public bool OwnBlock;
    // A block's batch always goes on, even with nothing in it: the tables' mark of materialized blocks moves past it.
    public bool IsEmpty => Effects.Count == 0 && Messages.Count == 0 && RoomChanges.Count == 0 && !HasChanges && Forgotten is null && Block == 0;
    /// <summary>What the batch adds to the commit loop's backlog (see MaxToCommitWeight); fixed once flushed.</summary>
    public int CommitWeight => Messages.Count + RoomChanges.Count + 1;
}

/// <summary>
/// Where handlers write what a command caused. The pipeline swaps in a new <see cref="Batch"/> when it flushes one;
/// every event is stamped with the command's time as it goes in, so the same commands give the same effects.
/// </summary>
internal sealed class EffectSink
{
    public Batch Batch = new();
    public CommandStamp Stamp;

    public void Send(Session to, ChatEvent ev)
    {
        ev.StampAt(Stamp.Time);
        Batch.Effects.Add(Effect.One(ev, to));
    }

    public void SendMany(Session[] to, ChatEvent ev, Session? except)
    {
        ev.StampAt(Stamp.Time);
        Batch.Effects.Add(Effect.Many(ev, to, except));
    }

    public void Close(Session s, DisconnectReason reason) => Batch.Effects.Add(Effect.Close(s, reason));

    public void ReadThen(Func<IMessageStore, ChatEvent> read, Session to)
    {
        Batch.Effects.Add(Effect.ReadThen(read, to));
        Batch.HasReads = true;
    }
}
