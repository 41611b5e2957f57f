using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Grove.Client.Peer;

namespace Grove.Client.Tests;

/// <summary>Real peers on real loopback sockets, each with its output captured line by line.</summary>
public sealed class PeerIntegrationTests : IAsyncLifetime
{
    private sealed class LineWriter : TextWriter
    {
        private readonly StringBuilder _line = new();
        public readonly Channel<string> Lines = Channel.CreateUnbounded<string>();
        public readonly List<string> All = new();
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n') { var l = _line.ToString().TrimEnd('\r'); _line.Clear(); lock (All) All.Add(l); Lines.Writer.TryWrite(l); }
                else _line.Append(value);
            }
        }
    }

    private sealed class Peer(PeerNode node, LineWriter output)
    {
        public PeerNode Node { get; } = node;
        public int Port { get; } = node.Port; // kept: the listener reports 0 once stopped

        public async Task<string> Expect(string pattern)
        {
            var regex = new Regex(pattern);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (true)
                {
                    var line = await output.Lines.Reader.ReadAsync(cts.Token);
                    if (regex.IsMatch(line)) return line;
                }
            }
            catch (OperationCanceledException)
            {
                lock (output.All) throw new TimeoutException($"peer {Port}: no line matching /{pattern}/. Output: {string.Join(" | ", output.All.TakeLast(12))}");
            }
        }

        public Task Do(string command) => Node.ExecuteAsync(command);

        /// <summary>Runs "list" and returns the "id: ip port" lines.</summary>
        public async Task<List<string>> List()
        {
            await Do("list");
            var first = await Expect("^(id: IP address port|No connections\\.)$");
            var lines = new List<string>();
            if (first.StartsWith("No")) return lines;
            // The lines of one list command are printed together; read until the next command's marker.
            await Do("myport");
            while (true)
            {
                var l = await Expect(".");
                if (l.StartsWith("My port:")) return lines;
                lines.Add(l);
            }
        }
    }

    private readonly List<Peer> _peers = new();

    private Peer Start()
    {
        var output = new LineWriter();
        var node = new PeerNode(0, output, IPAddress.Loopback);
        node.Start();
        var p = new Peer(node, output);
        _peers.Add(p);
        return p;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var p in _peers) await p.Node.DisposeAsync();
    }

    [Fact]
    public async Task Three_peers_connect_in_a_triangle_list_send_both_ways_terminate_and_exit()
    {
        var a = Start();
        var b = Start();
        var c = Start();
        await a.Do($"connect 127.0.0.1 {b.Port}");
        await a.Expect($"^Connected to 127\\.0\\.0\\.1 {b.Port} as connection 1\\.$");
        await b.Expect($"^Peer 127\\.0\\.0\\.1 {a.Port} connected as connection 1\\.$");
        await b.Do($"connect 127.0.0.1 {c.Port}");
        await b.Expect("as connection 2\\.$");
        await c.Expect($"^Peer 127\\.0\\.0\\.1 {b.Port} connected");
        await c.Do($"connect 127.0.0.1 {a.Port}");
        await c.Expect("as connection 2\\.$");
        await a.Expect($"^Peer 127\\.0\\.0\\.1 {c.Port} connected as connection 2\\.$");

        // "list: id: ip port for every live connection …; the port shown is the other peer's listening port."
        Assert.Equal([$"1: 127.0.0.1 {b.Port}", $"2: 127.0.0.1 {c.Port}"], await a.List());
        Assert.Equal([$"1: 127.0.0.1 {a.Port}", $"2: 127.0.0.1 {c.Port}"], await b.List());

        await a.Do("send 1 hello b, from a 👋");
        await a.Expect("^Message sent to 1$");
        await b.Expect("^Message received from 127\\.0\\.0\\.1$");
        Assert.Equal($"Sender's Port: {a.Port}", await b.Expect("^Sender's Port: "));
        Assert.Equal("Message: \"hello b, from a 👋\"", await b.Expect("^Message: "));
        await b.Do("send 1 and back to a");
        await a.Expect("^Message: \"and back to a\"$");

        // terminate: "the other side prints that the peer closed it and removes it from its list"
        await a.Do("terminate 2");
        await a.Expect("^Connection 2 terminated\\.$");
        await c.Expect($"^Peer 127\\.0\\.0\\.1 {a.Port} \\(connection 2\\) closed the connection\\.$");
        Assert.Equal([$"1: 127.0.0.1 {b.Port}"], await a.List());
        Assert.Equal([$"1: 127.0.0.1 {b.Port}"], await c.List());

        // exit: "tells every connected peer, closes every connection"
        await b.Node.ExitAsync();
        await a.Expect($"^Peer 127\\.0\\.0\\.1 {b.Port} \\(connection 1\\) closed the connection\\.$");
        await c.Expect($"^Peer 127\\.0\\.0\\.1 {b.Port} \\(connection 1\\) closed the connection\\.$");
        Assert.Empty(await a.List());
    }

    [Fact]
    public async Task Every_refusal_has_a_clear_message()
    {
        var a = Start();
        var b = Start();
        await a.Do("connect 999.1.2.3 80");
        Assert.Contains("not a valid IPv4 address", await a.Expect("^Cannot connect"));
        await a.Do("connect 127.0.0.1 70000");
        Assert.Contains("not a valid port", await a.Expect("^Cannot connect"));
        await a.Do($"connect 127.0.0.1 {a.Port}");
        Assert.Equal("Cannot connect: that is this peer itself.", await a.Expect("^Cannot connect"));
        // A port nothing listens on (a port-0 one, let go, could be the next parallel test's listener).
        var closedPort = Grove.Testing.TestPorts.Free();
        await a.Do($"connect 127.0.0.1 {closedPort}");
        Assert.Contains("connection refused", await a.Expect("^Cannot connect"));
        await a.Do($"connect 127.0.0.1 {b.Port}");
        await a.Expect("^Connected");
        await a.Do($"connect 127.0.0.1 {b.Port}");
        Assert.Equal($"Cannot connect: already connected to 127.0.0.1 {b.Port}.", await a.Expect("^Cannot connect"));
        await b.Expect("connected as connection 1");
        await b.Do($"connect 127.0.0.1 {a.Port}"); // the same pair, from the other side
        Assert.StartsWith("Cannot connect: already connected", await b.Expect("^Cannot connect"));
        await a.Do("send 1 " + new string('x', 101));
        Assert.Contains("at most 100 characters", await a.Expect("^Not sent"));
        await a.Do("send 9 hi");
        Assert.Equal("There is no connection 9. Type list to see them.", await a.Expect("^There is no"));
        await a.Do("terminate 9");
        Assert.Equal("There is no connection 9. Type list to see them.", await a.Expect("^There is no"));
        await a.Do("frobnicate");
        Assert.Contains("help", await a.Expect("^Unknown command"));
        await a.Do("send 1 " + new string('y', 100));
        await a.Expect("^Message sent to 1$");
    }

    [Fact]
    public async Task A_peer_that_dies_abruptly_is_noticed_announced_and_removed()
    {
        var a = Start();
        var b = Start();
        await a.Do($"connect 127.0.0.1 {b.Port}");
        await b.Expect("connected as connection 1");
        b.Node.Abort();
        await a.Expect($"^Peer 127\\.0\\.0\\.1 {b.Port} \\(connection 1\\) disappeared: the connection was lost\\.$");
        Assert.Empty(await a.List());
    }

    [Fact]
    public async Task Help_myip_and_myport_answer()
    {
        var a = Start();
        await a.Do("help");
        await a.Expect("^Commands:$");
        foreach (var cmd in new[] { "help", "myip", "myport", "connect", "list", "terminate", "send", "exit" })
            await a.Expect($"^  {cmd}");
        await a.Do("myport");
        Assert.Equal($"My port: {a.Port}", await a.Expect("^My port"));
        await a.Do("myip");
        var ip = (await a.Expect("^My IP address: "))["My IP address: ".Length..];
        Assert.True(IPAddress.TryParse(ip, out var parsed) && parsed.AddressFamily == AddressFamily.InterNetwork);
        Assert.Equal(PeerNode.MyIp(), ip);
    }

    [Fact]
    public async Task A_hostile_peers_message_reaches_the_terminal_without_escapes()
    {
        // Issue #20 item 2 ("terminal client output"): a peer is anyone who can reach the port, not only a Grove peer.
        var a = Start();
        using var hostile = new TcpClient();
        await hostile.ConnectAsync(IPAddress.Loopback, a.Port);
        await hostile.GetStream().WriteAsync(Encoding.UTF8.GetBytes("HELLO 1\nMSG hi\u001b]0;PWNED\u0007\u001b[2J\u009b31mthere\n"));
        var line = await a.Expect("^Message: ");
        Assert.Equal("Message: \"hi]0;PWNED[2J31mthere\"", line);
    }
}
