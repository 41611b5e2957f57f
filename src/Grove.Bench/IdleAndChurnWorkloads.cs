using System.Diagnostics;
using System.Net;

namespace Grove.Bench;

public sealed record IdleOptions(IPEndPoint Server, IBenchProtocol Protocol, int Connections, TimeSpan Hold, int? ServerPid, int Parallel = 100);

/// <summary>
/// Holds N registered connections (spread over source addresses 127.0.0.1 to 127.0.0.9, so more than one address's
/// ephemeral ports) and reports the server's resident memory per connection.
/// </summary>
public sealed class IdleWorkload(IdleOptions o)
{
    public async Task<BenchResult> RunAsync(CancellationToken ct)
    {
        var clients = new BenchConnection?[o.Connections];
        var connect = new LatencyHistogram();
        long failures = 0;
        var rss0 = o.ServerPid is { } pid ? ProcStats.RssBytes(pid) : null;
        var cpu0 = o.ServerPid is { } p0 ? ProcStats.CpuSeconds(p0) : null;
        var loopback = IPAddress.IsLoopback(o.Server.Address) && o.Server.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var gate = new SemaphoreSlim(o.Parallel);
            await Task.WhenAll(Enumerable.Range(0, o.Connections).Select(async i =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    var t = Stopwatch.GetTimestamp();
                    var c = await BenchConnection.ConnectAsync(o.Server, loopback ? IPAddress.Parse($"127.0.0.{1 + i % 9}") : null, o.Protocol, i, ct, prefix: "i");
                    clients[i] = c;
                    await o.Protocol.RegisterAsync(c, TimeSpan.FromSeconds(60));
                    c.DiscardControlLines();
                    connect.Record((long)Stopwatch.GetElapsedTime(t).TotalMicroseconds);
                }
                catch (Exception ex) when (ex is BenchException or System.Net.Sockets.SocketException or System.Net.WebSockets.WebSocketException or IOException)
                {
                    Interlocked.Increment(ref failures);
                }
                finally
                {
                    gate.Release();
                }
            }));
            var connectSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            // Let the server settle (allocations of registration done) before reading its memory.
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            var rss1 = o.ServerPid is { } pid1 ? ProcStats.RssBytes(pid1) : null;
            await Task.Delay(o.Hold, ct);
            var rss2 = o.ServerPid is { } pid2 ? ProcStats.RssBytes(pid2) : null;
            var held = o.Connections - failures;
            return new BenchResult
            {
                Workload = "idle",
                Door = o.Protocol.Door,
                Clients = o.Connections,
                Connections = held,
                Failures = failures,
                Seconds = Math.Round(connectSeconds, 2),
                ConnectP50Ms = connect.Percentile(0.5) / 1000.0,
                ConnectP99Ms = connect.Percentile(0.99) / 1000.0,
                ServerRssBytes = rss2,
                ServerRssBeforeBytes = rss0,
                RssPerConnectionBytes = rss0 is { } a && rss2 is { } b && held > 0 ? Math.Round((b - a) / (double)held) : null,
                ServerCpuSeconds = o.ServerPid is { } p3 && cpu0 is { } c0 ? Math.Round((ProcStats.CpuSeconds(p3) ?? c0) - c0, 2) : null,
                GeneratorCpuSeconds = Math.Round(ProcStats.OwnCpuSeconds(), 2),
                ElapsedForCpu = Stopwatch.GetElapsedTime(started).TotalSeconds,
                RssAfterSettleBytes = rss1,
            };
        }
        finally
        {
            await Task.WhenAll(clients.Where(c => c is not null).Select(async c =>
            {
                try { await o.Protocol.QuitAsync(c!); } catch (Exception) { }
                await c!.DisposeAsync();
            }));
        }
    }
}

public sealed record ChurnOptions(IPEndPoint Server, IBenchProtocol Protocol, TimeSpan Duration, int Concurrency, int? ServerPid, string Room);

/// <summary>Connect, register, join, quit, as many times a second as the server allows with C loops at once.</summary>
public sealed class ChurnWorkload(ChurnOptions o)
{
    public async Task<BenchResult> RunAsync(CancellationToken ct)
    {
        var cycle = new LatencyHistogram();
        long cycles = 0, failures = 0;
        var cpu0 = o.ServerPid is { } pid ? ProcStats.CpuSeconds(pid) : null;
        var ownCpu0 = ProcStats.OwnCpuSeconds();
        var loopback = IPAddress.IsLoopback(o.Server.Address) && o.Server.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(o.Duration);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, o.Concurrency).Select(async w =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var t = Stopwatch.GetTimestamp();
                BenchConnection? c = null;
                try
                {
                    c = await BenchConnection.ConnectAsync(o.Server, loopback ? IPAddress.Parse($"127.0.0.{1 + (w + n) % 9}") : null, o.Protocol, w * 100_000 + n % 100_000, CancellationToken.None, prefix: "c");
                    await o.Protocol.RegisterAsync(c, TimeSpan.FromSeconds(30));
                    await o.Protocol.JoinAsync(c, o.Room, TimeSpan.FromSeconds(30));
                    await o.Protocol.QuitAsync(c);
                    await c.ExpectAsync(_ => false, "the server to close", TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
                    cycle.Record((long)Stopwatch.GetElapsedTime(t).TotalMicroseconds);
                    Interlocked.Increment(ref cycles);
                }
                catch (Exception ex) when (ex is BenchException or System.Net.Sockets.SocketException or System.Net.WebSockets.WebSocketException or IOException)
                {
                    Interlocked.Increment(ref failures);
                }
                finally
                {
                    if (c is not null) await c.DisposeAsync();
                }
            }
        }));
        var elapsed = Stopwatch.GetElapsedTime(started);
        return new BenchResult
        {
            Workload = "churn",
            Door = o.Protocol.Door,
            Clients = o.Concurrency,
            Seconds = Math.Round(elapsed.TotalSeconds, 2),
            Cycles = cycles,
            Failures = failures,
            CyclesPerSecond = Math.Round(cycles / elapsed.TotalSeconds, 1),
            ConnectP50Ms = cycle.Percentile(0.5) / 1000.0,
            ConnectP99Ms = cycle.Percentile(0.99) / 1000.0,
            ServerCpuSeconds = o.ServerPid is { } p && cpu0 is { } c0 ? Math.Round((ProcStats.CpuSeconds(p) ?? c0) - c0, 2) : null,
            GeneratorCpuSeconds = Math.Round(ProcStats.OwnCpuSeconds() - ownCpu0, 2),
            ElapsedForCpu = elapsed.TotalSeconds,
        };
    }
}
