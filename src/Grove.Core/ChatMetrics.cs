using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grove.Core.People;

namespace Grove.Core;

/// <summary>
/// Counters for /metrics, the status page and the "Grove" <see cref="Meter"/> (dotnet-counters, OpenTelemetry). The
/// hot path only increments with interlocked operations; the meter's observable instruments read them when asked.
/// </summary>
public sealed class ChatMetrics : IDisposable
{
    /// <summary>The name dotnet-counters and exporters know the server's meter by.</summary>
    public const string MeterName = "Grove";

    private static readonly DoorKind[] Doors = [DoorKind.Plain, DoorKind.Irc, DoorKind.Web];
    private readonly long[] _connected = new long[3];
    private readonly long[] _registered = new long[3];
    private readonly long[] _accepted = new long[3];
    private readonly long[] _messagesByDoor = new long[3];
    private long _messagesIn, _deliveries, _slowConsumers, _commits, _committedMessages, _commitTicks, _commitFailures, _takenIn;
    private readonly Histogram<double> _deliveryLatency, _commitDuration;

    public ChatMetrics()
    {
        Meter = new Meter(MeterName);
        Meter.CreateObservableUpDownCounter("grove.connections", () => PerDoorState(), "{connection}", "Open connections by door and state (registered: has a name).");
        Meter.CreateObservableCounter("grove.connections.accepted", () => PerDoor(_accepted), "{connection}", "Connections accepted per door since start.");
        Meter.CreateObservableCounter("grove.messages.in", () => PerDoor(_messagesByDoor), "{message}", "Room and private messages received, by the sender's door.");
        Meter.CreateObservableCounter("grove.deliveries", () => Deliveries, "{event}", "Events written to recipients' outbound queues.");
        Meter.CreateObservableCounter("grove.slow_consumer.disconnects", () => SlowConsumerDisconnects, "{connection}", "Connections closed because their outbound queue passed its limit.");
        Meter.CreateObservableCounter("grove.store.commits", () => Commits, "{commit}", "Store transactions (group commits).");
        Meter.CreateObservableCounter("grove.store.committed_messages", () => CommittedMessages, "{message}", "Messages committed to the store.");
        Meter.CreateObservableCounter("grove.store.commit_failures", () => CommitFailures, "{commit}", "Commits that failed.");
        _deliveryLatency = Meter.CreateHistogram<double>("grove.delivery.latency", "s",
            "From a delivery round's oldest message command being taken in to the round's bytes being handed to the sockets.");
        _commitDuration = Meter.CreateHistogram<double>("grove.store.commit.duration", "s", "Duration of one store transaction (group commit).");
    }

    public Meter Meter { get; }

    public void Connected(DoorKind door) { Interlocked.Increment(ref _connected[(int)door]); Interlocked.Increment(ref _accepted[(int)door]); }
    public void Registered(DoorKind door) => Interlocked.Increment(ref _registered[(int)door]);
    public void Disconnected(DoorKind door, bool registered)
    {
        Interlocked.Decrement(ref _connected[(int)door]);
        if (registered) Interlocked.Decrement(ref _registered[(int)door]);
    }
    public void MessageIn(DoorKind door) { Interlocked.Increment(ref _messagesIn); Interlocked.Increment(ref _messagesByDoor[(int)door]); }
    public void Delivered(long count) => Interlocked.Add(ref _deliveries, count);
    public void SlowConsumer() => Interlocked.Increment(ref _slowConsumers);
    public void CommitFailed() => Interlocked.Increment(ref _commitFailures);
    public void TakenInMidRound() => Interlocked.Increment(ref _takenIn);

    /// <summary>Delivery loop: a round's bytes were handed over; <paramref name="took"/> is since its oldest message command came in.</summary>
    public void DeliveryLatency(TimeSpan took) => _deliveryLatency.Record(took.TotalSeconds);

    public void Committed(int messages, TimeSpan took)
    {
        var k = Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _committedMessages, messages);
        Interlocked.Add(ref _commitTicks, took.Ticks);
        _commitDuration.Record(took.TotalSeconds);
        // The commit loop is the only caller, so the ring of recent durations needs no lock.
        _recentCommits[(k - 1) & (_recentCommits.Length - 1)] = took.Ticks;
    }

    private readonly long[] _recentCommits = new long[1 << 16];

    /// <summary>The 99th percentile of the last 65,536 commits' durations (for the shutdown summary).</summary>
    public TimeSpan CommitP99()
    {
        var n = (int)Math.Min(Commits, _recentCommits.Length);
        if (n == 0) return TimeSpan.Zero;
        var copy = _recentCommits[..n];
        Array.Sort(copy);
        return TimeSpan.FromTicks(copy[Math.Min(n - 1, (int)Math.Ceiling(n * 0.99) - 1)]);
    }

    public long ConnectionsOpen(DoorKind door) => Volatile.Read(ref _connected[(int)door]);
    /// <summary>Open connections of a door that have a name (the rest are still choosing one).</summary>
    public long ConnectionsRegistered(DoorKind door) => Volatile.Read(ref _registered[(int)door]);
    public long ConnectionsAccepted(DoorKind door) => Volatile.Read(ref _accepted[(int)door]);
    public long MessagesIn => Volatile.Read(ref _messagesIn);
    public long MessagesInFrom(DoorKind door) => Volatile.Read(ref _messagesByDoor[(int)door]);
    public long Deliveries => Volatile.Read(ref _deliveries);
    public long SlowConsumerDisconnects => Volatile.Read(ref _slowConsumers);
    public long Commits => Volatile.Read(ref _commits);
    public long CommittedMessages => Volatile.Read(ref _committedMessages);
    public TimeSpan CommitTime => TimeSpan.FromTicks(Volatile.Read(ref _commitTicks));
    public long CommitFailures => Volatile.Read(ref _commitFailures);
    /// <summary>Batches the delivery loop took in while it was still sending the round before (see HandOverStaged).</summary>
    public long BatchesTakenInMidRound => Volatile.Read(ref _takenIn);

    private IEnumerable<Measurement<long>> PerDoor(long[] values) =>
        Doors.Select(d => new Measurement<long>(Volatile.Read(ref values[(int)d]), new KeyValuePair<string, object?>("door", ChatServer.DoorName(d))));

    private IEnumerable<Measurement<long>> PerDoorState()
    {
        foreach (var d in Doors)
        {
            var open = ConnectionsOpen(d);
            var registered = ConnectionsRegistered(d);
            var door = new KeyValuePair<string, object?>("door", ChatServer.DoorName(d));
            yield return new Measurement<long>(registered, door, new KeyValuePair<string, object?>("state", "registered"));
            yield return new Measurement<long>(Math.Max(0, open - registered), door, new KeyValuePair<string, object?>("state", "unregistered"));
        }
    }

    public void Dispose() => Meter.Dispose();
}
