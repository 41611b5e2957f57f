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

    private readonly Socket _socket;
    // The web door: the same socket, speaking RFC 6455 frames of our own (a light client, as the line doors' are:
    // .NET's ClientWebSocket cost the generator about four times the server's CPU and blurred the latency).
    private readonly bool _ws;
    private readonly byte[] _mask = new byte[4];
    private readonly IBenchProtocol _protocol;
    private readonly Channel<string> _control = Channel.CreateBounded<string>(new BoundedChannelOptions(2048) { FullMode = BoundedChannelFullMode.DropOldest });
    private Task? _reader;

    private BenchConnection(Socket socket, bool ws, IBenchProtocol protocol, int index)
    {
        _socket = socket;
        _ws = ws;
        Random.Shared.NextBytes(_mask);
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
        var ws = protocol.Door == "ws";
        byte[] early = [];
        if (ws)
        {
            try
            {
                early = await UpgradeAsync(socket, server, ct);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        var c = new BenchConnection(socket, ws, protocol, index);
        c._reader = Task.Run(() => c.ReadLoop(early), CancellationToken.None);
        return c;
    }

    /// <summary>The WebSocket opening handshake; returns whatever arrived after the server's answer.</summary>
    private static async Task<byte[]> UpgradeAsync(Socket socket, IPEndPoint server, CancellationToken ct)
    {
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = $"GET /ws HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, ct);
        var buffer = new byte[4096];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length) throw new BenchException("The server's WebSocket answer was too long.");
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct);
            if (n == 0) throw new BenchException("The server closed the connection during the WebSocket handshake.");
            filled += n;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end < 0) continue;
            var head = Encoding.ASCII.GetString(buffer, 0, end);
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) throw new BenchException($"WebSocket refused: {head.Split('\r')[0]}");
            return buffer.AsSpan(end + 4, filled - end - 4).ToArray();
        }
    }

    private async Task ReadLoop(byte[] early)
    {
        var socket = _socket;
        var buffer = new byte[64 * 1024];
        early.CopyTo(buffer, 0);
        var filled = early.Length;
        try
        {
            while (true)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
                if (n == 0) break;
                if (QuickAck) SetQuickAck();
                filled += n;
                var start = _ws ? Frames(buffer, filled) : 0;
                while (!_ws)
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

    /// <summary>Handles each whole server frame (unmasked, unfragmented text) in the buffer; returns where the rest starts.</summary>
    private int Frames(byte[] buffer, int filled)
    {
        var start = 0;
        while (filled - start >= 2)
        {
            var opcode = buffer[start] & 0x0F;
            long length = buffer[start + 1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                if (filled - start < 4) break;
                length = (buffer[start + 2] << 8) | buffer[start + 3];
                header = 4;
            }
            else if (length == 127)
            {
                if (filled - start < 10) break;
                length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(start + 2, 8));
                header = 10;
            }
            if (filled - start < header + length) break; // the read loop grows the buffer when it is full
            var payload = buffer.AsSpan(start + header, (int)length);
            if (opcode == 0x8) throw new SocketException((int)SocketError.ConnectionReset); // the server closed
            if (opcode == 0x9) _ = SendFrameAsync(0xA, payload.ToArray()); // ping: pong
            else if (opcode == 0x1) HandleLine(payload);
            start += header + (int)length;
        }
        return start;
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
        try { _socket.SetRawSocketOption(IPPROTO_TCP, TCP_QUICKACK, BitConverter.GetBytes(1)); } catch (SocketException) { }
    }

    private readonly SemaphoreSlim _wsSend = new(1, 1);

    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        if (_ws)
        {
            await SendFrameAsync(0x1, bytes);
            return;
        }
        while (!bytes.IsEmpty)
        {
            var n = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[n..];
        }
    }

    /// <summary>One masked client frame, written in one send (frames from several tasks must not interleave).</summary>
    private async Task SendFrameAsync(int opcode, ReadOnlyMemory<byte> payload)
    {
        var header = payload.Length < 126 ? 6 : payload.Length < 65536 ? 8 : 14;
        var frame = new byte[header + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        if (payload.Length < 126) frame[1] = (byte)(0x80 | payload.Length);
        else if (payload.Length < 65536) { frame[1] = 0x80 | 126; frame[2] = (byte)(payload.Length >> 8); frame[3] = (byte)payload.Length; }
        else { frame[1] = 0x80 | 127; System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length); }
        _mask.CopyTo(frame, header - 4);
        var span = payload.Span;
        for (var i = 0; i < span.Length; i++) frame[header + i] = (byte)(span[i] ^ _mask[i & 3]);
        await _wsSend.WaitAsync();
        try
        {
            var rest = frame.AsMemory();
            while (!rest.IsEmpty) rest = rest[await _socket.SendAsync(rest, SocketFlags.None)..];
        }
        finally { _wsSend.Release(); }
    }

    public ValueTask SendLineAsync(string line) => SendAsync(Encoding.UTF8.GetBytes(_ws ? line : line + "\r\n"));

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
        if (_ws)
        {
            try { await SendFrameAsync(0x8, new byte[] { 0x03, 0xE8 }); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        }
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
        if (_reader is not null) await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
    }
}

public sealed class BenchException(string message) : Exception(message);
