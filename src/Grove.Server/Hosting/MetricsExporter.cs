using System.Diagnostics.Metrics;
using Grove.Core;
using Grove.Core.People;
using Prometheus;

namespace Grove.Server.Hosting;

/// <summary>
/// /metrics through prometheus-net: the names dashboards know, read from <see cref="ChatMetrics"/> when scraped, and
/// the "Grove" meter's histograms, fed by a <see cref="MeterListener"/> as they are recorded (no allocation, no lock).
/// </summary>
public sealed class MetricsExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    // Seconds, 50 µs to 2.5 s: a delivery takes about a millisecond on a quiet server, a commit less.
    private static readonly double[] Buckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private static readonly DoorKind[] Doors = [DoorKind.Plain, DoorKind.Irc, DoorKind.Web];
    private static readonly string[] Generations = ["0", "1", "2", "loh", "poh"];

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly MeterListener _listener;

    public MetricsExporter(ChatServer chat)
    {
        var f = Metrics.WithCustomRegistry(_registry);
        var m = chat.Metrics;
        var connections = f.CreateGauge("grove_connections", "Open connections per door.", "door");
        var byState = f.CreateGauge("grove_connections_by_state", "Open connections per door and state (registered: has a name; unregistered: still choosing one).", "door", "state");
        var accepted = f.CreateCounter("grove_connections_accepted_total", "Connections accepted per door since start.", "door");
        var messagesIn = f.CreateCounter("grove_messages_in_total", "Room and private messages received from people.");
        var messagesByDoor = f.CreateCounter("grove_messages_in_by_door_total", "Room and private messages received, by the sender's door.", "door");
        var deliveries = f.CreateCounter("grove_deliveries_total", "Events written to recipients' outbound queues (messages out).");
        var takenIn = f.CreateCounter("grove_delivery_batches_taken_in_total", "Committed batches the delivery loop took in while still sending the one before (their recipients not yet sent to get both in one send).");
        var slow = f.CreateCounter("grove_slow_consumer_disconnects_total", "Connections closed because their outbound queue passed its limit.");
        var rooms = f.CreateGauge("grove_rooms", "Rooms known to the server.");
        var commits = f.CreateCounter("grove_store_commits_total", "Store transactions (group commits).");
        var committed = f.CreateCounter("grove_store_committed_messages_total", "Messages committed to the store.");
        var commitSeconds = f.CreateCounter("grove_store_commit_seconds_total", "Time spent committing, in seconds (divide by commits for the mean commit latency).");
        var failures = f.CreateCounter("grove_store_commit_failures_total", "Commits that failed.");
        var rss = f.CreateGauge("process_resident_memory_bytes", "Resident memory of the server process.");
        var heap = f.CreateGauge("grove_gc_heap_bytes", "Managed heap size after the last garbage collection.");
        var gcCommitted = f.CreateGauge("grove_gc_committed_bytes", "Memory the garbage collector has committed.");
        var fragmented = f.CreateGauge("grove_gc_fragmented_bytes", "Free space inside the managed heap after the last collection.");
        var generation = f.CreateGauge("grove_gc_generation_bytes", "Size of each managed heap generation after the last collection (loh: large objects, poh: pinned buffers).", "generation");
        var collections = f.CreateCounter("grove_gc_collections_total", "Garbage collections of each generation since start (a collection of 2 also counts for 1 and 0).", "generation");
        var pause = f.CreateCounter("grove_gc_pause_seconds_total", "Time the garbage collector paused the server since start, in seconds.");
        var histograms = new Dictionary<string, Histogram>
        {
            ["grove.delivery.latency"] = f.CreateHistogram("grove_delivery_latency_seconds",
                "From a delivery round's oldest message command being taken in to the round's bytes being handed to the sockets.", new HistogramConfiguration { Buckets = Buckets }),
            ["grove.store.commit.duration"] = f.CreateHistogram("grove_store_commit_duration_seconds",
                "Duration of one store transaction (group commit).", new HistogramConfiguration { Buckets = Buckets }),
        };

        _registry.AddBeforeCollectCallback(() =>
        {
            foreach (var d in Doors)
            {
                var door = ChatServer.DoorName(d);
                var open = m.ConnectionsOpen(d);
                var registered = m.ConnectionsRegistered(d);
                connections.WithLabels(door).Set(open);
                byState.WithLabels(door, "registered").Set(registered);
                byState.WithLabels(door, "unregistered").Set(Math.Max(0, open - registered));
                accepted.WithLabels(door).IncTo(m.ConnectionsAccepted(d));
                messagesByDoor.WithLabels(door).IncTo(m.MessagesInFrom(d));
            }
            messagesIn.IncTo(m.MessagesIn);
            deliveries.IncTo(m.Deliveries);
            takenIn.IncTo(m.BatchesTakenInMidRound);
            slow.IncTo(m.SlowConsumerDisconnects);
            rooms.Set(chat.RoomCount);
            commits.IncTo(m.Commits);
            committed.IncTo(m.CommittedMessages);
            commitSeconds.IncTo(m.CommitTime.TotalSeconds);
            failures.IncTo(m.CommitFailures);
            rss.Set(Environment.WorkingSet);
            var gc = GC.GetGCMemoryInfo();
            heap.Set(gc.HeapSizeBytes);
            gcCommitted.Set(gc.TotalCommittedBytes);
            fragmented.Set(gc.FragmentedBytes);
            for (var i = 0; i < Math.Min(Generations.Length, gc.GenerationInfo.Length); i++)
                generation.WithLabels(Generations[i]).Set(gc.GenerationInfo[i].SizeAfterBytes);
            for (var g = 0; g < 3; g++) collections.WithLabels(Generations[g]).IncTo(GC.CollectionCount(g));
            pause.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
        });

        // Only this server's meter: tests run several servers in one process, each with a meter named "Grove".
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, m.Meter) && histograms.TryGetValue(instrument.Name, out var h))
                    listener.EnableMeasurementEvents(instrument, h);
            },
        };
        _listener.SetMeasurementEventCallback<double>(static (_, value, _, state) => ((Histogram)state!).Observe(value));
        _listener.Start();
    }

    /// <summary>Writes every metric in the Prometheus text format 0.0.4.</summary>
    public Task WriteAsync(Stream to, CancellationToken ct) => _registry.CollectAndExportAsTextAsync(to, ct);

    public void Dispose() => _listener.Dispose();
}
