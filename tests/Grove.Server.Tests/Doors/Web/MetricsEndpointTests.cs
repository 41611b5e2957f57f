using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using Grove.Core;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// /metrics through the exporter and the "Grove" meter (docs/protocol.md, the /metrics row; issue 25: "keeping every
/// existing metric name", "a test scrapes it and checks the names and that the counts move").
/// </summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    // Every name /metrics served before the exporter: dashboards are built on them.
    private static readonly string[] Existing =
    [
        "grove_connections", "grove_connections_accepted_total", "grove_messages_in_total", "grove_deliveries_total",
        "grove_delivery_batches_taken_in_total", "grove_slow_consumer_disconnects_total", "grove_rooms", "grove_store_commits_total",
        "grove_store_committed_messages_total", "grove_store_commit_seconds_total", "grove_store_commit_failures_total",
        "process_resident_memory_bytes", "grove_gc_heap_bytes", "grove_gc_committed_bytes", "grove_gc_fragmented_bytes",
        "grove_gc_generation_bytes", "grove_gc_collections_total", "grove_gc_pause_seconds_total",
    ];

    private TestServer _server = null!;
    private readonly HttpClient _http = new();
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() { _http.Dispose(); await _server.DisposeAsync(); }

    private async Task<Dictionary<string, double>> Scrape()
    {
        var response = await _http.GetAsync(new Uri(_server.HttpUri, "/metrics"));
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var samples = new Dictionary<string, double>();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return samples;
    }

    // The histograms are recorded just after the bytes are handed over, so a reader may see its line a moment before.
    private async Task<Dictionary<string, double>> ScrapeUntil(Func<Dictionary<string, double>, bool> done)
    {
        var until = DateTime.UtcNow + LineClient.DefaultTimeout;
        while (true)
        {
            var samples = await Scrape();
            if (done(samples) || DateTime.UtcNow > until) return samples;
        }
    }

    [Fact]
    public async Task Every_existing_name_is_served_beside_the_new_ones_and_the_counts_move()
    {
        var before = await Scrape();
        foreach (var name in Existing)
            Assert.True(before.Keys.Any(k => Regex.IsMatch(k, $"^{name}(\\{{|$)")), $"/metrics lost {name}");
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await using var nameless = await LineClient.ConnectAsync(_server.Plain);
        await nameless.NextLineAsync(); // asked for a name: counted as an open connection without one
        await alice.SendAsync("counted");
        await bob.ExpectAsync("^alice: counted$");

        var after = await ScrapeUntil(s => s["grove_delivery_latency_seconds_count"] > before["grove_delivery_latency_seconds_count"]);
        Assert.Equal(before["grove_messages_in_total"] + 1, after["grove_messages_in_total"]);
        Assert.Equal(before["grove_messages_in_by_door_total{door=\"plain\"}"] + 1, after["grove_messages_in_by_door_total{door=\"plain\"}"]);
        Assert.Equal(before["grove_messages_in_by_door_total{door=\"irc\"}"], after["grove_messages_in_by_door_total{door=\"irc\"}"]);
        Assert.Equal(3, after["grove_connections{door=\"plain\"}"]);
        Assert.Equal(2, after["grove_connections_by_state{door=\"plain\",state=\"registered\"}"]);
        Assert.Equal(1, after["grove_connections_by_state{door=\"plain\",state=\"unregistered\"}"]);
        Assert.True(after["grove_deliveries_total"] > before["grove_deliveries_total"]);
        Assert.True(after["grove_store_committed_messages_total"] > before["grove_store_committed_messages_total"]);
        Assert.True(after["grove_store_commit_duration_seconds_count"] > before["grove_store_commit_duration_seconds_count"]);
        Assert.True(after["grove_store_commit_duration_seconds_bucket{le=\"+Inf\"}"] == after["grove_store_commit_duration_seconds_count"]);
        Assert.True(after["grove_delivery_latency_seconds_sum"] > 0);
        Assert.True(after["grove_delivery_latency_seconds_count"] > before["grove_delivery_latency_seconds_count"], "no delivery latency recorded");
    }

    [Fact]
    public async Task The_Grove_meter_publishes_the_same_counts_for_dotnet_counters()
    {
        var meter = _server.Host.Chat.Metrics.Meter;
        Assert.Equal(ChatMetrics.MeterName, meter.Name);
        var seen = new Dictionary<string, long>();
        var latencies = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (ReferenceEquals(instrument.Meter, meter)) l.EnableMeasurementEvents(instrument); },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var t in tags) key += $",{t.Key}={t.Value}";
            lock (seen) seen[key] = value;
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "grove.delivery.latency") Interlocked.Increment(ref latencies);
        });
        listener.Start();
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync("seen by the meter");
        await bob.ExpectAsync("^alice: seen by the meter$");
        await alice.LinesUntilBarrierAsync();
        await bob.LinesUntilBarrierAsync();
        listener.RecordObservableInstruments();
        lock (seen)
        {
            Assert.Equal(1, seen["grove.messages.in,door=plain"]);
            Assert.Equal(2, seen["grove.connections,door=plain,state=registered"]);
            Assert.Equal(2, seen["grove.connections.accepted,door=plain"]);
            Assert.True(seen["grove.store.committed_messages"] >= 1);
        }
        // Recorded just after the round's bytes are handed over: the reader may be a moment ahead of it.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref latencies) >= 1, LineClient.DefaultTimeout), "no delivery latency recorded");
    }
}
