using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Grove.Client.Peer;

/// <summary>
/// `grove peer PORT`: a peer-to-peer chat shell. It listens on PORT, reads commands from its input (help, myip,
/// myport, connect, list, terminate, send, exit) and talks to other peers over TCP with a small line protocol
/// (docs/protocol.md, "Peer mode"): "HELLO &lt;listening port&gt;" both ways first, then "MSG &lt;text&gt;" and "BYE".
/// </summary>
public sealed class PeerNode : IAsyncDisposable
{
    public const int MaxMessageLength = 100;

    private readonly TcpListener _listener;
    private readonly Action<string> _print;
    private readonly object _outGate = new();
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private int _nextId;
    private Task? _acceptLoop;

    public PeerNode(int port, TextWriter output, IPAddress? bind = null)
        : this(port, line => { output.WriteLine(line); output.Flush(); }, bind)
    {
    }

    /// <summary>A peer that shows each line of its output with <paramref name="print"/> (the terminal shell).</summary>
    public PeerNode(int port, Action<string> print, IPAddress? bind = null)
    {
        _print = print;
        _listener = new TcpListener(bind ?? IPAddress.Loopback, port);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private sealed class Connection(int id, TcpClient tcp, string ip, bool outgoing)
    {
        public int Id { get; } = id;
        public TcpClient Tcp { get; } = tcp;
        public string Ip { get; } = ip;
        public bool Outgoing { get; } = outgoing;
        public int PeerPort { get; set; }
        public StreamWriter? Writer { get; set; }
        public int Closing; // 1 once we said BYE or heard it
        public readonly SemaphoreSlim WriteGate = new(1, 1);
    }

    /// <summary>Starts listening. Throws <see cref="SocketException"/> when the port is taken.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoop);
    }

    private void Print(string text)
    {
        lock (_outGate) _print(text);
    }

    /// <summary>Reads commands until "exit" or the end of input, then says goodbye to every peer.</summary>
    public Task<int> RunAsync(TextReader input) => RunAsync(() => input.ReadLineAsync());

    /// <summary>The same, reading the lines typed into the terminal shell.</summary>
    public Task<int> RunAsync(ChannelReader<string> input) => RunAsync(async () =>
        await input.WaitToReadAsync() && input.TryRead(out var line) ? line : null);

    private async Task<int> RunAsync(Func<Task<string?>> nextLine)
    {
        Print($"Listening on {((IPEndPoint)_listener.LocalEndpoint).Address} port {Port}. Type help for the commands.");
        while (await nextLine() is { } line)
        {
            if (!await ExecuteAsync(line.Trim())) break;
        }
        await ExitAsync();
        return 0;
    }

    /// <summary>Runs one command; false when it was exit.</summary>
    public async Task<bool> ExecuteAsync(string line)
    {
        if (line.Length == 0) return true;
        var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        switch (parts[0].ToLowerInvariant())
        {
            case "help":
                Print("Commands:");
                Print("  help                         this list");
                Print("  myip                         this machine's IPv4 address that other peers would use");
                Print("  myport                       the port this peer listens on");
                Print("  connect <destination> <port> connect to another peer");
                Print("  list                         every live connection: id: ip port");
                Print("  terminate <id>               close a connection");
                Print($"  send <id> <message>          send a message (at most {MaxMessageLength} characters)");
                Print("  exit                         close every connection and leave");
                return true;
            case "myip":
                Print($"My IP address: {MyIp()}");
                return true;
            case "myport":
                Print($"My port: {Port}");
                return true;
            case "connect":
                if (parts.Length < 3) { Print("Usage: connect <destination> <port>"); return true; }
                await ConnectAsync(parts[1], parts[2]);
                return true;
            case "list":
                List();
                return true;
            case "terminate":
                if (parts.Length < 2 || !int.TryParse(parts[1], out var tid)) { Print("Usage: terminate <id>"); return true; }
                await TerminateAsync(tid);
                return true;
            case "send":
                if (parts.Length < 3 || !int.TryParse(parts[1], out var sid)) { Print("Usage: send <id> <message>"); return true; }
                await SendAsync(sid, parts[2]);
                return true;
            case "exit":
                return false;
            default:
                Print($"Unknown command \"{parts[0]}\". Type help for the commands.");
                return true;
        }
    }

    /// <summary>The first non-loopback IPv4 address of an interface that is up, or 127.0.0.1.</summary>
    public static string MyIp()
    {
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                    if (a.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a.Address)) return a.Address.ToString();
            }
        }
        catch (NetworkInformationException)
        {
        }
        return "127.0.0.1";
    }

    private static bool IsThisMachine(IPAddress ip)
    {
        if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any)) return true;
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Any(a => a.Address.Equals(ip));
        }
        catch (NetworkInformationException)
        {
            return false;
        }
    }

    private async Task ConnectAsync(string destination, string portText)
    {
        if (!IPAddress.TryParse(destination, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
        {
            if (destination == "localhost") ip = IPAddress.Loopback;
            else { Print($"Cannot connect: \"{destination}\" is not a valid IPv4 address."); return; }
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            Print($"Cannot connect: \"{portText}\" is not a valid port (1 to 65535).");
            return;
        }
        if (port == Port && IsThisMachine(ip))
        {
            Print("Cannot connect: that is this peer itself.");
            return;
        }
        if (_connections.Values.Any(c => c.PeerPort == port && SameHost(c.Ip, ip)))
        {
            Print($"Cannot connect: already connected to {ip} {port}.");
            return;
        }
        var tcp = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await tcp.ConnectAsync(ip, port, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            tcp.Dispose();
            var why = ex is SocketException se ? Reason(se) : "no answer within 10 s";
            Print($"Cannot connect to {ip} {port}: {why}.");
            return;
        }
        var c = new Connection(Interlocked.Increment(ref _nextId), tcp, ip.ToString(), outgoing: true) { PeerPort = port };
        c.Writer = new StreamWriter(tcp.GetStream(), new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
        _connections[c.Id] = c;
        await Write(c, $"HELLO {Port}");
        Print($"Connected to {c.Ip} {port} as connection {c.Id}.");
        _ = Task.Run(() => ReadLoop(c, new StreamReader(tcp.GetStream(), new UTF8Encoding(false, false))));
    }

    private static bool SameHost(string a, IPAddress b) =>
        IPAddress.TryParse(a, out var ia) && (ia.Equals(b) || IPAddress.IsLoopback(ia) && IsThisMachine(b) || IPAddress.IsLoopback(b) && IsThisMachine(ia));

    private static string Reason(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused (no peer is listening there)",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "the host cannot be reached",
        SocketError.TimedOut => "timed out",
        _ => e.Message,
    };

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient tcp;
            try
            {
                tcp = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var ip = ((IPEndPoint)tcp.Client.RemoteEndPoint!).Address;
            var c = new Connection(Interlocked.Increment(ref _nextId), tcp, (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString(), outgoing: false);
            c.Writer = new StreamWriter(tcp.GetStream(), new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
            _connections[c.Id] = c;
            _ = Task.Run(() => ReadLoop(c, new StreamReader(tcp.GetStream(), new UTF8Encoding(false, false))));
        }
    }

    private async Task ReadLoop(Connection c, StreamReader reader)
    {
        var clean = false;
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("HELLO ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(6), out var port))
                {
                    var first = c.PeerPort == 0;
                    c.PeerPort = port;
                    if (!c.Outgoing && first)
                    {
                        await Write(c, $"HELLO {Port}");
                        Print($"Peer {c.Ip} {port} connected as connection {c.Id}.");
                    }
                }
                else if (line.StartsWith("MSG ", StringComparison.Ordinal))
                {
                    var text = line[4..];
                    if (text.Length > MaxMessageLength) text = text[..MaxMessageLength];
                    Print($"Message received from {c.Ip}");
                    Print($"Sender's Port: {c.PeerPort}");
                    // Anyone can reach the port: their text must not drive this terminal (the one rule, TextRules).
                    Print($"Message: \"{Grove.Wire.TextRules.Clean(text, Grove.Wire.TextTarget.Terminal)}\"");
                }
                else if (line == "BYE" || line.StartsWith("BYE ", StringComparison.Ordinal))
                {
                    clean = true;
                    if (Interlocked.Exchange(ref c.Closing, 1) == 0)
                        Print($"Peer {c.Ip} {c.PeerPort} (connection {c.Id}) closed the connection.");
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
        }
        if (_connections.TryRemove(c.Id, out _))
        {
            if (!clean && Interlocked.Exchange(ref c.Closing, 1) == 0 && !_stop.IsCancellationRequested)
                Print($"Peer {c.Ip} {c.PeerPort} (connection {c.Id}) disappeared: the connection was lost.");
            c.Tcp.Dispose();
        }
    }

    private void List()
    {
        var live = _connections.Values.OrderBy(c => c.Id).ToList();
        if (live.Count == 0) { Print("No connections."); return; }
        Print("id: IP address port");
        foreach (var c in live) Print($"{c.Id}: {c.Ip} {c.PeerPort}");
    }

    private async Task TerminateAsync(int id)
    {
        if (!_connections.TryRemove(id, out var c))
        {
            Print($"There is no connection {id}. Type list to see them.");
            return;
        }
        Interlocked.Exchange(ref c.Closing, 1);
        await Write(c, "BYE");
        c.Tcp.Dispose();
        Print($"Connection {id} terminated.");
    }

    private async Task SendAsync(int id, string message)
    {
        if (message.Length > MaxMessageLength)
        {
            Print($"Not sent: a message can be at most {MaxMessageLength} characters (this one has {message.Length}).");
            return;
        }
        if (!_connections.TryGetValue(id, out var c))
        {
            Print($"There is no connection {id}. Type list to see them.");
            return;
        }
        if (message.AsSpan().IndexOfAny('\r', '\n') >= 0) message = message.Replace('\r', ' ').Replace('\n', ' ');
        if (await Write(c, "MSG " + message)) Print($"Message sent to {id}");
        else Print($"Not sent: connection {id} is gone.");
    }

    private static async Task<bool> Write(Connection c, string line)
    {
        await c.WriteGate.WaitAsync();
        try
        {
            await c.Writer!.WriteLineAsync(line);
            return true;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            return false;
        }
        finally
        {
            c.WriteGate.Release();
        }
    }

    /// <summary>Tells every peer goodbye and closes everything.</summary>
    public async Task ExitAsync()
    {
        foreach (var c in _connections.Values.ToList())
        {
            Interlocked.Exchange(ref c.Closing, 1);
            await Write(c, "BYE");
            c.Tcp.Dispose();
        }
        _connections.Clear();
        Print("Goodbye.");
        await DisposeAsync();
    }

    /// <summary>Closes every socket without a word, as a killed process would (for tests).</summary>
    public void Abort()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _connections.Values)
        {
            // The connection's own loop may have disposed it already.
            try { c.Tcp.Client?.LingerState = new LingerOption(true, 0); }
            catch (ObjectDisposedException) { }
            c.Tcp.Dispose();
        }
        _connections.Clear();
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _listener.Stop();
        if (_acceptLoop is not null) await _acceptLoop;
    }
}
