using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Grove.Testing;

/// <summary>
/// A client over a real TCP socket that reads lines in the background. <see cref="ExpectAsync"/> waits (with a
/// timeout, never a sleep) for a line matching a pattern and returns it; lines passed over are kept in <see cref="Seen"/>.
/// </summary>
public sealed class LineClient : IAsyncDisposable
{
    /// <summary>
    /// How long a wait lasts unless a test says otherwise: only a failure waits it out. Generous, because some answers
    /// come after slow work (a PBKDF2 password hash takes over a second on two cores shared with other test hosts,
    /// and a login may queue behind another) and a loaded machine must not turn that into a failure.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task _reader;
    private readonly List<string> _seen = new();

    private LineClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = Task.Run(ReadLoop);
    }

    public string? Name { get; set; }
    public IReadOnlyList<string> Seen { get { lock (_seen) return _seen.ToList(); } }
    public bool Closed { get; private set; }
    public Socket Socket => _socket;

    public static async Task<LineClient> ConnectAsync(IPEndPoint endPoint, int? receiveBuffer = null)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBuffer is { } rb) socket.ReceiveBufferSize = rb;
        await socket.ConnectAsync(endPoint).WaitAsync(DefaultTimeout);
        return new LineClient(socket);
    }

    /// <summary>Connects, answers the name prompt and waits for the welcome line.</summary>
    public static async Task<LineClient> JoinAsync(IPEndPoint endPoint, string name)
    {
        var c = await ConnectAsync(endPoint);
        await c.ExpectAsync("^What is your name\\?$");
        await c.SendAsync(name);
        await c.ExpectAsync($"^\\* Welcome, {Regex.Escape(name)}!");
        c.Name = name;
        return c;
    }

    private async Task ReadLoop()
    {
        var buffer = new byte[64 * 1024];
        var pending = new List<byte>();
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer);
                if (n == 0) break;
                for (var i = 0; i < n; i++)
                {
                    if (buffer[i] == (byte)'\n')
                    {
                        var bytes = pending.ToArray();
                        var len = bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes.Length - 1 : bytes.Length;
                        _lines.Writer.TryWrite(Encoding.UTF8.GetString(bytes, 0, len));
                        pending.Clear();
                    }
                    else pending.Add(buffer[i]);
                }
            }
        }
        catch (Exception)
        {
            // reset or disposed: treated as closed
        }
        Closed = true;
        _lines.Writer.TryComplete();
    }

    public Task SendAsync(string line) => SendRawAsync(Encoding.UTF8.GetBytes(line + "\n"));

    public async Task SendRawAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>The next line, whatever it is; fails on timeout or when the connection closed.</summary>
    public async Task<string> NextLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            var line = await _lines.Reader.ReadAsync(cts.Token);
            lock (_seen) _seen.Add(line);
            return line;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name ?? "client"}: no line within {(timeout ?? DefaultTimeout).TotalSeconds} s. Seen: {string.Join(" | ", Seen.TakeLast(10))}");
        }
        catch (ChannelClosedException)
        {
            throw new IOException($"{Name ?? "client"}: the connection closed. Seen: {string.Join(" | ", Seen.TakeLast(10))}");
        }
    }

    /// <summary>Waits for a line matching <paramref name="pattern"/>, passing over others.</summary>
    public async Task<string> ExpectAsync(string pattern, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) left = TimeSpan.FromMilliseconds(1);
            string line;
            try
            {
                line = await NextLineAsync(left);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{Name ?? "client"}: no line matching /{pattern}/. Seen: {string.Join(" | ", Seen.TakeLast(15))}");
            }
            catch (IOException)
            {
                throw new IOException($"{Name ?? "client"}: closed before a line matching /{pattern}/. Seen: {string.Join(" | ", Seen.TakeLast(15))}");
            }
            if (regex.IsMatch(line)) return line;
        }
    }

    /// <summary>
    /// Sends /who as a barrier and returns every line that arrived before its answer: what the server sent this
    /// client up to now, in order.
    /// </summary>
    public async Task<List<string>> LinesUntilBarrierAsync()
    {
        var before = new List<string>();
        await SendAsync("/who");
        while (true)
        {
            var line = await NextLineAsync();
            if (line.StartsWith("* Online (", StringComparison.Ordinal)) return before;
            before.Add(line);
        }
    }

    private int _barriers;

    /// <summary>IRC: sends PING with a unique token and returns every line before the matching PONG.</summary>
    public async Task<List<string>> IrcBarrierAsync()
    {
        var token = $"barrier-{++_barriers}";
        var before = new List<string>();
        await SendAsync($"PING :{token}");
        while (true)
        {
            var line = await NextLineAsync();
            if (line.Contains(" PONG ") && line.EndsWith(token, StringComparison.Ordinal)) return before;
            before.Add(line);
        }
    }

    /// <summary>IRC: connects, registers with NICK and USER, and waits for the end of the MOTD.</summary>
    public static async Task<LineClient> IrcAsync(IPEndPoint endPoint, string nick)
    {
        var c = await ConnectAsync(endPoint);
        c.Name = nick;
        await c.SendAsync($"NICK {nick}");
        await c.SendAsync($"USER {nick.ToLowerInvariant()} 0 * :Real {nick}");
        await c.ExpectAsync($" (376|422) {Regex.Escape(nick)} ");
        return c;
    }

    /// <summary>IRC with IRCv3 capabilities: CAP LS 302, CAP REQ, then registration and CAP END.</summary>
    public static async Task<LineClient> IrcWithCapsAsync(IPEndPoint endPoint, string nick, string caps)
    {
        var c = await ConnectAsync(endPoint);
        c.Name = nick;
        await c.SendAsync("CAP LS 302");
        await c.SendAsync($"NICK {nick}");
        await c.SendAsync($"USER {nick.ToLowerInvariant()} 0 * :Real {nick}");
        await c.SendAsync($"CAP REQ :{caps}");
        await c.ExpectAsync("CAP \\* ACK ");
        await c.SendAsync("CAP END");
        await c.ExpectAsync($" (376|422) {Regex.Escape(nick)} ");
        return c;
    }

    /// <summary>Waits until the server closes the connection; returns the lines that came before.</summary>
    public async Task<List<string>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token)) lines.Add(line);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name ?? "client"}: the server did not close the connection. Got: {string.Join(" | ", lines)}");
        }
        return lines;
    }

    /// <summary>Closes with a TCP reset, as a killed process or a pulled cable would.</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
    }
}
