using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// A WebSocket written by hand on a TCP socket, for what a well-behaved client library will not send: any Host header,
/// and frames of any shape (RFC 6455 section 5.2).
/// </summary>
internal sealed class RawWebSocket : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawWebSocket(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public NetworkStream Stream => _stream;

    /// <summary>The status line and headers of the answer to the upgrade request.</summary>
    public string Response { get; private set; } = "";

    public int Status => int.Parse(Response.Split(' ')[1]);

    /// <summary>Sends the upgrade request for /ws with this Host (and Origin, when given) and reads the answer's head.</summary>
    public static Task<RawWebSocket> ConnectAsync(IPEndPoint server, string host, string? origin = null) =>
        SendRequestAsync(server, Request(host, origin));

    /// <summary>An upgrade request for /ws; <paramref name="key"/> and <paramref name="version"/> replace the good ones.</summary>
    public static string Request(string host, string? origin = null, string? key = null, string version = "13") =>
        $"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: {key ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: {version}\r\n"
        + (origin is null ? "" : $"Origin: {origin}\r\n") + "\r\n";

    /// <summary>Sends <paramref name="request"/> as it is and reads the answer's head.</summary>
    public static async Task<RawWebSocket> SendRequestAsync(IPEndPoint server, string request)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server);
        var ws = new RawWebSocket(tcp);
        await ws._stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var head = new List<byte>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var one = new byte[1];
        // Byte by byte, so nothing after the head (the first frames) is consumed here.
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await ws._stream.ReadAsync(one, cts.Token) == 0) break;
            head.Add(one[0]);
        }
        ws.Response = Encoding.ASCII.GetString(head.ToArray());
        return ws;
    }

    /// <summary>One client frame: masked, as RFC 6455 requires of clients; payloads under 126 bytes only.</summary>
    public static byte[] Frame(bool fin, int opcode, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 125) throw new ArgumentOutOfRangeException(nameof(payload));
        var frame = new byte[6 + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | opcode);
        frame[1] = (byte)(0x80 | payload.Length);
        RandomNumberGenerator.Fill(frame.AsSpan(2, 4));
        for (var i = 0; i < payload.Length; i++) frame[6 + i] = (byte)(payload[i] ^ frame[2 + i % 4]);
        return frame;
    }

    /// <summary>A client frame of any length, masked unless told otherwise.</summary>
    public static byte[] LongFrame(bool fin, int opcode, ReadOnlySpan<byte> payload, bool mask = true)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        var m = mask ? 0x80 : 0;
        if (payload.Length < 126) header.Add((byte)(m | payload.Length));
        else if (payload.Length <= ushort.MaxValue) header.AddRange([(byte)(m | 126), (byte)(payload.Length >> 8), (byte)payload.Length]);
        else { header.Add((byte)(m | 127)); for (var i = 7; i >= 0; i--) header.Add((byte)((long)payload.Length >> (8 * i))); }
        var key = mask ? RandomNumberGenerator.GetBytes(4) : [];
        header.AddRange(key);
        var frame = new byte[header.Count + payload.Length];
        header.CopyTo(frame);
        for (var i = 0; i < payload.Length; i++) frame[header.Count + i] = mask ? (byte)(payload[i] ^ key[i % 4]) : payload[i];
        return frame;
    }

    /// <summary>The next server frame: its opcode, payload and every byte of it as sent; null at the end of the stream.</summary>
    public async Task<(int Opcode, byte[] Payload, byte[] Raw)?> ReadFrameAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[2];
        if (!await ReadExactly(header, cts.Token)) return null;
        Assert.True((header[1] & 0x80) == 0, "a server frame must not be masked");
        long length = header[1] & 0x7F;
        var ext = new byte[length == 126 ? 2 : length == 127 ? 8 : 0];
        if (ext.Length > 0)
        {
            if (!await ReadExactly(ext, cts.Token)) return null;
            length = 0;
            foreach (var b in ext) length = length << 8 | b;
        }
        var payload = new byte[length];
        if (!await ReadExactly(payload, cts.Token)) return null;
        return (header[0] & 0x0F, payload, [.. header, .. ext, .. payload]);
    }

    /// <summary>
    /// Reads server frames until a Close frame (its status code) or the end of the stream (null), within the timeout.
    /// </summary>
    public async Task<int?> ReadUntilCloseAsync(TimeSpan timeout, List<string>? texts = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[2];
        while (true)
        {
            if (!await ReadExactly(header, cts.Token)) return null;
            var opcode = header[0] & 0x0F;
            long length = header[1] & 0x7F;
            if (length >= 126)
            {
                var ext = new byte[length == 126 ? 2 : 8];
                if (!await ReadExactly(ext, cts.Token)) return null;
                length = 0;
                foreach (var b in ext) length = length << 8 | b;
            }
            var payload = new byte[length];
            if (!await ReadExactly(payload, cts.Token)) return null;
            if (opcode == 8) return payload.Length >= 2 ? payload[0] << 8 | payload[1] : 1005;
            if (opcode == 1) texts?.Add(Encoding.UTF8.GetString(payload));
        }
    }

    private async Task<bool> ReadExactly(byte[] buffer, CancellationToken ct)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, ct);
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return false;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
