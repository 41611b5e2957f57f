namespace Grove.Bench;

public sealed partial class FanOutWorkload
{
    /// <summary>One lane's figures; the CPU and memory are the whole run's.</summary>
    private BenchResult Result(int lane, TimeSpan sendElapsed, TimeSpan elapsed, LatencyHistogram connectTimes, CpuUsed cpu)
    {
        long missing = 0, sent = 0, expected = 0;
        for (var s = lane * o.Senders; s < (lane + 1) * o.Senders; s++)
        {
            sent += _sent[s];
            expected += _sent[s] * _receiversOf[s];
            var sender = s % o.Senders;
            for (var r = 0; r < o.Clients; r++)
                if (r != sender && (lane > 0 || RoomOf(r) == RoomOf(sender))) missing += Math.Max(0, _sent[s] - _next[r][s]);
        }
        var deliveries = Interlocked.Read(ref _deliveries[lane]);
        var latency = _latency[lane];
        var cross = o.Nodes.Count > 1 ? _crossLatency[lane] : null;
        // The whole cluster: every node and PostgreSQL (with a single node, the server alone).
        var clusterCpu = cpu.Servers is { } sc0 ? sc0 + (cpu.Postgres ?? 0) : cpu.Postgres;
        return new BenchResult
        {
            Workload = "fanout",
            Door = o.Protocol.Door,
            Stuck = o.Stuck > 0 && lane == 0 ? o.Stuck : null,
            Clients = o.Clients,
            Senders = o.Senders,
            Rooms = o.Rooms > 1 ? o.Rooms : null,
            Nodes = o.Nodes.Count > 1 ? o.Nodes.Count : null,
            Rate = o.Rate,
            Window = o.Window,
            Seconds = Math.Round(sendElapsed.TotalSeconds, 3),
            MessagesSent = sent,
            Deliveries = deliveries,
            ExpectedDeliveries = expected,
            MessagesPerSecond = Math.Round(sent / sendElapsed.TotalSeconds),
            DeliveriesPerSecond = Math.Round(deliveries / elapsed.TotalSeconds),
            Lost = _lost[lane] + missing,
            Duplicated = _duplicates[lane],
            LatencyP50Ms = latency.Percentile(0.50) / 1000.0,
            LatencyP90Ms = latency.Percentile(0.90) / 1000.0,
            LatencyP99Ms = latency.Percentile(0.99) / 1000.0,
            LatencyMaxMs = latency.MaxMicros / 1000.0,
            CrossNodeDeliveries = cross is null ? null : Interlocked.Read(ref _crossDeliveries[lane]),
            CrossNodeLatencyP50Ms = cross?.Percentile(0.50) / 1000.0,
            CrossNodeLatencyP99Ms = cross?.Percentile(0.99) / 1000.0,
            ConnectP50Ms = connectTimes.Percentile(0.5) / 1000.0,
            ConnectP99Ms = connectTimes.Percentile(0.99) / 1000.0,
            SendLatenessP99Ms = o.Rate > 0 ? _lateness.Percentile(0.99) / 1000.0 : null,
            ServerCpuSeconds = cpu.Servers is { } sc ? Math.Round(sc, 2) : null,
            PostgresCpuSeconds = cpu.Postgres is { } pc ? Math.Round(pc, 2) : null,
            ClusterCpuSeconds = clusterCpu is { } cc ? Math.Round(cc, 2) : null,
            GeneratorCpuSeconds = Math.Round(cpu.Own, 2),
            DeliveriesPerServerCpuSecond = cpu.Servers is > 0 ? Math.Round(Delivered() / cpu.Servers.Value) : null,
            DeliveriesPerClusterCpuSecond = clusterCpu is > 0 ? Math.Round(Delivered() / clusterCpu.Value) : null,
            ServerRssBytes = ProcStats.RssBytes(o.ServerPids),
            ElapsedForCpu = elapsed.TotalSeconds,
        };
    }

    /// <summary>A member that registers, joins and then never reads again (plain and IRC doors), on the first node.</summary>
    private async Task<System.Net.Sockets.Socket> JoinStuck(int i, CancellationToken ct)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
            { ReceiveBufferSize = 1024 };
        await socket.ConnectAsync(o.Server, ct);
        var name = $"s{i:D5}";
        var hello = o.Protocol.Door == "irc"
            ? $"NICK {name}\r\nUSER {name} 0 * :stuck\r\nJOIN {RoomName(0)}\r\n"
            : $"{name}\n/join {RoomName(0)}\n";
        await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(hello), System.Net.Sockets.SocketFlags.None, ct);
        return socket;
    }
}
