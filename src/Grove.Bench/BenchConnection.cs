using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Grove.Bench;

/// <summary>
/// One generator client over a real socket. Lines that carry a bench payload go to <see cref="OnDelivery"/> without
/// allocating; every other line is kept (bounded) for the set-up steps to wait on.
/// </summary>
public sealed class BenchConnection : IAsyncDisposable
{
    public const byte Marker = (byte)'~';

    private readonly Socket? _socket;
    private readonly System.Net.WebSockets.ClientWebSocket? _ws;
    private readonly IBenchProtocol _protocol;
    private readonly Channel<string> _control = Channel.CreateBounded<string>(new BoundedChannelOptions(2048) { FullMode = BoundedChannelFullMode.DropOldest });
    private Task? _reader;

    private BenchConnection(Socket? socket, System.Net.WebSockets.ClientWebSocket? ws, IBenchProtocol protocol, int index)
    {
        _socket = socket;
        _ws = ws;
        _protocol = protocol;
        Index = index;
    }

    public int Index { get; }
    /// <summary>The name's first letter, one per workload, so workloads running at once never ask for the same name.</summary>
    public string Prefix { get; set; } = "b";
    public string Name => $"{Prefix}{Index:D5}";

    /// <summary>Called on the receive loop with the payload (starting at the marker) of each delivered message.</summary>
    public Action<BenchConnection, ReadOnlySpan<byte>>? OnDelivery { get; set; }

    /// <summary>Acknowledge every read at once (TCP_QUICKACK), to measure without delayed-ACK stalls.</summary>
    public bool QuickAck { get; set; }

    public static async Task<BenchConnection> ConnectAsync(IPEndPoint server, IPAddress? source, IBenchProtocol protocol, int index, CancellationToken ct, string prefix = "b")
    {
        var c = await ConnectCore(server, source, protocol, index, ct);
        c.Prefix = prefix;
        return c;
    }

    private static async Task<BenchConnection> ConnectCore(IPEndPoint server, IPAddress? source, IBenchProtocol protocol, int index, CancellationToken ct)
    {
        if (protocol.Door == "ws")
        {
            var ws = new System.Net.WebSockets.ClientWebSocket();
            ws.Options.KeepAliveInterval = TimeSpan.Zero;
            await ws.ConnectAsync(new Uri($"ws://{server}/ws"), ct);
            var w = new BenchConnection(null, ws, protocol, index);
            w._reader = Task.Run(w.WsReadLoop, CancellationToken.None);
            return w;
        }
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (source is not null) socket.Bind(new IPEndPoint(source, 0));
        try
        {
            await socket.ConnectAsync(server, ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var c = new BenchConnection(socket, null, protocol, index);
        c._reader = Task.Run(c.ReadLoop, CancellationToken.None);
        return c;
    }

    private async Task WsReadLoop()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var filled = 0;
                System.Net.WebSockets.ValueWebSocketReceiveResult r;
                do
                {
                    if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                    r = await _ws!.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None);
                    if (r.MessageType == System.Net.WebSockets.WebSocketMessageType.Close) { _control.Writer.TryComplete(); return; }
                    filled += r.Count;
                } while (!r.EndOfMessage);
                HandleLine(buffer.AsSpan(0, filled));
            }
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        _control.Writer.TryComplete();
    }

    private async Task ReadLoop()
    {
        var socket = _socket!;
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
                if (n == 0) break;
                if (QuickAck) SetQuickAck();
                filled += n;
                var start = 0;
                while (true)
                {
                    var nl = Array.IndexOf(buffer, (byte)'\n', start, filled - start);
                    if (nl < 0) break;
                    var end = nl > start && buffer[nl - 1] == '\r' ? nl - 1 : nl;
                    HandleLine(buffer.AsSpan(start, end - start));
                    start = nl + 1;
                }
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        _control.Writer.TryComplete();
    }

    private void HandleLine(ReadOnlySpan<byte> line)
    {
        var payload = _protocol.DeliveryPayload(line);
        if (payload.Length > 0 && payload[0] == Marker && OnDelivery is { } handler)
        {
            handler(this, payload);
            return;
        }
        if (_protocol.AutoReply(line) is { } reply) _ = SendAsync(reply);
        _control.Writer.TryWrite(Encoding.UTF8.GetString(line));
    }

    private void SetQuickAck()
    {
        const int IPPROTO_TCP = 6, TCP_QUICKACK = 12;
        try { _socket!.SetRawSocketOption(IPPROTO_TCP, TCP_QUICKACK, BitConverter.GetBytes(1)); } catch (SocketException) { }
    }

    private readonly SemaphoreSlim _wsSend = new(1, 1);

    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        if (_ws is not null)
        {
            // One message per call; WebSocket sends must not overlap.
            await _wsSend.WaitAsync();
            try { await _ws.SendAsync(bytes, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None); }
            finally { _wsSend.Release(); }
            return;
        }
        while (!bytes.IsEmpty)
        {
            var n = await _socket!.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[n..];
        }
    }

    public ValueTask SendLineAsync(string line) => SendAsync(Encoding.UTF8.GetBytes(_ws is null ? line + "\r\n" : line));

    /// <summary>Waits for a non-payload line containing <paramref name="needle"/>; throws with the recent lines on timeout.</summary>
    public async Task<string> ExpectAsync(Func<string, bool> match, string what, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var recent = new Queue<string>();
        try
        {
            while (true)
            {
                var line = await _control.Reader.ReadAsync(cts.Token);
                if (match(line)) return line;
                recent.Enqueue(line);
                if (recent.Count > 5) recent.Dequeue();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            throw new BenchException($"{Name}: {(ex is ChannelClosedException ? "the server closed the connection" : "timed out")} waiting for {what}. Last lines: {string.Join(" | ", recent)}");
        }
    }

    /// <summary>Drops the set-up lines seen so far (join notices of the others).</summary>
    public void DiscardControlLines()
    {
        while (_control.Reader.TryRead(out _)) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ws is not null)
        {
            try { await _ws.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None); } catch (Exception) { }
            _ws.Dispose();
        }
        else
        {
            try { _socket!.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            _socket!.Dispose();
        }
        if (_reader is not null) await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
    }
}

public sealed class BenchException(string message) : Exception(message);
