using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>`grove bench fanout` against a cluster's nodes, rooms and PostgreSQL's CPU (issue 24), on real servers.</summary>
public sealed class BenchClusterProcessTests
{
    private static async Task<JsonElement> RunAsync(TempFolder folder, params string[] args)
    {
        await using var bench = GroveProcess.Start(["bench", "fanout", .. args], folder.Path);
        Assert.True(0 == await bench.WaitForExitAsync(TimeSpan.FromSeconds(90)), bench.StdErr);
        using var doc = JsonDocument.Parse(bench.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last());
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Clients_take_turns_over_the_ports_with_the_senders_on_the_first_and_cross_node_deliveries_apart()
    {
        using var folder = new TempFolder();
        await using var server = await GroveProcess.ServeAsync(folder);
        var port = (await server.PlainEndPointAsync()).Port;
        // Two more "nodes": real forwarders to the same server, so each counts the clients that came to it.
        await using var second = new Forwarder(port);
        await using var third = new Forwarder(port);
        var r = await RunAsync(folder, "--port", $"{port},{second.Port},{third.Port}", "--clients", "12", "--senders", "3",
            "--duration", "1", "--window", "8", "--server-pid", $"{server.Pid},{server.Pid}");

        // Senders 0-2 on the first; the other nine take turns: 3, 6, 9 on the first, 4, 7, 10 on the second, 5, 8, 11 on the third.
        Assert.Equal(3, second.Accepted);
        Assert.Equal(3, third.Accepted);
        var sent = r.GetProperty("messagesSent").GetInt64();
        Assert.True(sent > 0);
        Assert.Equal(3, r.GetProperty("nodes").GetInt32());
        Assert.Equal(sent * 11, r.GetProperty("deliveries").GetInt64());
        Assert.Equal(sent * 6, r.GetProperty("crossNodeDeliveries").GetInt64());
        Assert.True(r.GetProperty("crossNodeLatencyP99Ms").GetDouble() > 0);
        Assert.Equal(0, r.GetProperty("lost").GetInt64());
        // A pid given twice is counted once.
        Assert.Equal(r.GetProperty("serverCpuSeconds").GetDouble(), r.GetProperty("clusterCpuSeconds").GetDouble());
    }

    [Fact]
    public async Task Rooms_deal_the_clients_and_each_message_reaches_only_the_members_of_its_own_room()
    {
        using var folder = new TempFolder();
        await using var server = await GroveProcess.ServeAsync(folder);
        var ep = await server.IrcEndPointAsync();
        var r = await RunAsync(folder, "--door", "irc", "--port", ep.Port.ToString(), "--clients", "12", "--senders", "4", "--rooms", "4",
            "--rate", "200", "--duration", "1", "--room", "#dealt");
        // Four rooms of three: each message reaches the two others of its room, none of the other nine people.
        Assert.Equal(4, r.GetProperty("rooms").GetInt32());
        Assert.Equal(200, r.GetProperty("messagesSent").GetInt64());
        Assert.Equal(400, r.GetProperty("expectedDeliveries").GetInt64());
        Assert.Equal(400, r.GetProperty("deliveries").GetInt64());
        Assert.Equal(0, r.GetProperty("lost").GetInt64());
        Assert.Equal(0, r.GetProperty("duplicated").GetInt64());
    }

    [Fact]
    public async Task PostgreSQL_and_its_backends_count_in_the_cpu_of_the_whole_cluster()
    {
        using var folder = new TempFolder();
        await using var server = await GroveProcess.ServeAsync(folder, "--store", "postgres", "--postgres", SharedPostgres.NewDatabase(), "--node-name", "bench");
        var ep = await server.PlainEndPointAsync();
        var r = await RunAsync(folder, "--port", ep.Port.ToString(), "--clients", "20", "--senders", "5", "--duration", "2",
            "--server-pid", server.Pid.ToString(), "--postgres-pid", SharedPostgres.Server.PostmasterPid.ToString());
        // The postmaster itself hardly works: the server's connections are its child backends, and they store every message.
        var postgres = r.GetProperty("postgresCpuSeconds").GetDouble();
        Assert.True(postgres > 0, $"postgresCpuSeconds {postgres}");
        Assert.Equal(r.GetProperty("serverCpuSeconds").GetDouble() + postgres, r.GetProperty("clusterCpuSeconds").GetDouble(), 2);
        Assert.True(r.GetProperty("deliveriesPerClusterCpuSecond").GetDouble() < r.GetProperty("deliveriesPerServerCpuSecond").GetDouble());
        Assert.Equal(0, r.GetProperty("lost").GetInt64());
    }

    [Theory]
    [InlineData("--port", "7001,70x2", "grove bench: --port \"7001,70x2\" is not a port or a list of them such as 7001,7002,7003.")]
    [InlineData("--postgres-pid", "pm", "grove bench: --postgres-pid \"pm\" is not a process id or a list of them such as 1201,1202,1203.")]
    [InlineData("--rooms", "3", "grove bench: --rooms 3 does not fit --clients 4 and --senders 2: each room needs a sender and two members, so give 1 to 2 rooms.")]
    public async Task A_list_or_a_number_of_rooms_that_does_not_fit_is_one_line(string flag, string value, string line)
    {
        using var folder = new TempFolder();
        string[] port = flag == "--port" ? [] : ["--port", "6969"];
        await using var bench = GroveProcess.Start(["bench", "fanout", .. port, "--clients", "4", "--senders", "2", flag, value], folder.Path);
        Assert.Equal(2, await bench.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(line, bench.StdErr.Trim());
    }

    /// <summary>A loopback port that forwards every connection to the server's, both ways, and counts them.</summary>
    private sealed class Forwarder : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _open = [];
        private readonly Task _accepting;
        private int _accepted;

        public Forwarder(int target)
        {
            _listener.Start();
            _accepting = AcceptAsync(target);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Accepted => Volatile.Read(ref _accepted);

        private async Task AcceptAsync(int target)
        {
            try
            {
                while (true)
                {
                    var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _accepted);
                    var outbound = new TcpClient();
                    await outbound.ConnectAsync(IPAddress.Loopback, target, _stop.Token);
                    lock (_open) _open.AddRange([inbound, outbound]);
                    _ = Pump(inbound, outbound);
                    _ = Pump(outbound, inbound);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        // One direction; when it ends, the other side is told by a shutdown of its sending half.
        private async Task Pump(TcpClient from, TcpClient to)
        {
            try
            {
                await from.GetStream().CopyToAsync(to.GetStream(), _stop.Token);
                to.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            lock (_open) foreach (var c in _open) c.Dispose();
            _stop.Dispose();
        }
    }
}
