using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Grove.Bench;

/// <summary>What a run measured: printed as one JSON line and as a summary for a person.</summary>
public sealed class BenchResult
{
    public string Workload { get; init; } = "";
    public string Door { get; init; } = "";
    public int Clients { get; init; }
    public int Senders { get; init; }
    /// <summary>With --rooms: the rooms the clients were dealt into.</summary>
    public int? Rooms { get; init; }
    /// <summary>With several ports: the nodes the clients were spread over (the senders on the first).</summary>
    public int? Nodes { get; init; }
    public double Rate { get; init; }
    public int Window { get; init; }
    public double Seconds { get; init; }
    public long MessagesSent { get; init; }
    public long Deliveries { get; init; }
    public long ExpectedDeliveries { get; init; }
    public double MessagesPerSecond { get; init; }
    public double DeliveriesPerSecond { get; init; }
    public long Lost { get; init; }
    public long Duplicated { get; init; }
    public double LatencyP50Ms { get; init; }
    public double LatencyP90Ms { get; init; }
    public double LatencyP99Ms { get; init; }
    public double LatencyMaxMs { get; init; }
    /// <summary>With several nodes: the deliveries to a client on another node than the sender's, and their latency.</summary>
    public long? CrossNodeDeliveries { get; init; }
    public double? CrossNodeLatencyP50Ms { get; init; }
    public double? CrossNodeLatencyP99Ms { get; init; }
    public double ConnectP50Ms { get; init; }
    /// <summary>At a fixed rate: how late the 99th percentile message left, against its time (the pacing's precision).</summary>
    public double? SendLatenessP99Ms { get; init; }
    public double ConnectP99Ms { get; init; }
    public double? ServerCpuSeconds { get; init; }
    public double GeneratorCpuSeconds { get; init; }
    public double? DeliveriesPerServerCpuSecond { get; init; }
    /// <summary>With --postgres-pid: PostgreSQL's CPU (the postmaster and every backend, ended ones included).</summary>
    public double? PostgresCpuSeconds { get; init; }
    /// <summary>Every process measured: the servers (nodes) and PostgreSQL.</summary>
    public double? ClusterCpuSeconds { get; init; }
    public double? DeliveriesPerClusterCpuSecond { get; init; }
    public long? ServerRssBytes { get; init; }
    public int? Stuck { get; init; }
    /// <summary>With --control-room: the same figures for the control room, which has the same members and senders at the same time but no stuck members.</summary>
    public BenchResult? Control { get; set; }
    public long? Connections { get; init; }
    public long? Failures { get; init; }
    public double? RssPerConnectionBytes { get; init; }
    public long? ServerRssBeforeBytes { get; init; }
    public long? RssAfterSettleBytes { get; init; }
    public long? Cycles { get; init; }
    public double? CyclesPerSecond { get; init; }
    [JsonIgnore] public double ElapsedForCpu { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    public string Summary()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (Workload == "idle")
        {
            sb.AppendLine(ci, $"idle on the {Door} door: {Connections:N0} of {Clients:N0} connections registered and held ({Failures:N0} failed) in {Seconds:0.0} s");
            sb.AppendLine(ci, $"  connect+register p50 {ConnectP50Ms:0.0} ms  p99 {ConnectP99Ms:0.0} ms");
            if (RssPerConnectionBytes is { } per)
                sb.AppendLine(ci, $"  server RSS {ServerRssBeforeBytes / 1048576.0:0.0} MiB before, {ServerRssBytes / 1048576.0:0.0} MiB holding: {per:N0} bytes per connection");
            return sb.ToString();
        }
        if (Workload == "churn")
        {
            sb.AppendLine(ci, $"churn on the {Door} door: {Clients} loops of connect, register, join, quit for {Seconds:0.0} s");
            sb.AppendLine(ci, $"  {Cycles:N0} cycles = {CyclesPerSecond:N1} per second; {Failures:N0} failed");
            sb.AppendLine(ci, $"  cycle time p50 {ConnectP50Ms:0.0} ms  p99 {ConnectP99Ms:0.0} ms");
            if (ServerCpuSeconds is { } c) sb.AppendLine(ci, $"  server CPU {c:0.00} s; generator CPU {GeneratorCpuSeconds:0.00} s");
            return sb.ToString();
        }
        sb.AppendLine(ci, $"fan-out on the {Door} door: {Clients} clients{(Rooms is { } rooms ? $" in {rooms} rooms" : "")}{(Nodes is { } nodes ? $" over {nodes} nodes" : "")}, {Senders} senders, {(Rate > 0 ? $"{Rate:0} msg/s fixed rate" : $"window {Window}")}, {Seconds:0.0} s");
        sb.AppendLine(ci, $"  messages   {MessagesSent,12:N0} sent      {MessagesPerSecond,12:N0} /s");
        sb.AppendLine(ci, $"  deliveries {Deliveries,12:N0} received  {DeliveriesPerSecond,12:N0} /s   (expected {ExpectedDeliveries:N0})");
        sb.AppendLine(ci, $"  lost {Lost:N0}, duplicated {Duplicated:N0}");
        sb.AppendLine(ci, $"  latency    p50 {LatencyP50Ms:0.000} ms  p90 {LatencyP90Ms:0.000} ms  p99 {LatencyP99Ms:0.000} ms  max {LatencyMaxMs:0.000} ms");
        if (CrossNodeLatencyP99Ms is { } crossP99)
            sb.AppendLine(ci, $"  cross-node p50 {CrossNodeLatencyP50Ms:0.000} ms  p99 {crossP99:0.000} ms   ({CrossNodeDeliveries:N0} deliveries to another node than the sender's)");
        sb.AppendLine(ci, $"  connect    p50 {ConnectP50Ms:0.0} ms  p99 {ConnectP99Ms:0.0} ms");
        if (SendLatenessP99Ms is { } late) sb.AppendLine(ci, $"  pacing     p99 {late:0.000} ms late");
        if (ServerCpuSeconds is { } cpu)
            sb.AppendLine(ci, $"  server CPU {cpu:0.00} s = {DeliveriesPerServerCpuSecond:N0} deliveries per CPU-second{(Control is null ? "" : " (both rooms)")}; RSS {ServerRssBytes / 1048576.0:0.0} MiB");
        if (PostgresCpuSeconds is { } pg)
            sb.AppendLine(ci, $"  PostgreSQL CPU {pg:0.00} s; the whole cluster {ClusterCpuSeconds:0.00} s = {DeliveriesPerClusterCpuSecond:N0} deliveries per CPU-second");
        sb.AppendLine(ci, $"  generator CPU {GeneratorCpuSeconds:0.00} s");
        if (GeneratorCpuSeconds > 0.8 * ElapsedForCpu)
            sb.AppendLine("  WARNING: the generator used most of a core; it may be the bottleneck, not the server.");
        if (Control is { } k)
        {
            sb.AppendLine(ci, $"  control room (the same members and senders at the same time, no stuck member): {k.Deliveries:N0} deliveries, lost {k.Lost:N0}, duplicated {k.Duplicated:N0}");
            sb.AppendLine(ci, $"  latency    p50 {k.LatencyP50Ms:0.000} ms  p90 {k.LatencyP90Ms:0.000} ms  p99 {k.LatencyP99Ms:0.000} ms  max {k.LatencyMaxMs:0.000} ms");
        }
        if (Lost > 0 || Duplicated > 0 || Control is { Lost: > 0 } or { Duplicated: > 0 })
            sb.AppendLine("  WARNING: deliveries were lost or duplicated.");
        if (Lost > 0 || Control is { Lost: > 0 })
            sb.AppendLine("  A server with flood control (Grove's default) slows fast senders and then disconnects them; benchmark one started with --flood-control false.");
        return sb.ToString();
    }
}
