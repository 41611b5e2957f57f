using System.Net.WebSockets;
using System.Text.Json;

namespace Grove.Testing;

/// <summary>A WebSocket client of the web door's JSON protocol, for tests.</summary>
public sealed class WsClient(ClientWebSocket socket) : IAsyncDisposable
{
    public ClientWebSocket Socket => socket;

    /// <summary>Opens a WebSocket to the server's /ws.</summary>
    public static async Task<WsClient> OpenAsync(int port)
    {
        var socket = new ClientWebSocket();
        // Bounded, as every wait here: a handshake that never finishes fails the test instead of hanging it.
        using var cts = new CancellationTokenSource(LineClient.DefaultTimeout);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), cts.Token);
        return new WsClient(socket);
    }

    public async Task Send(object o) => await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(o), WebSocketMessageType.Text, true, default);

    public async Task<JsonElement> Next(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? LineClient.DefaultTimeout);
        var buffer = new byte[1 << 20];
        var filled = 0;
        ValueWebSocketReceiveResult r;
        do
        {
            r = await socket.ReceiveAsync(buffer.AsMemory(filled), cts.Token);
            if (r.MessageType == WebSocketMessageType.Close) throw new IOException($"closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
            filled += r.Count;
        } while (!r.EndOfMessage);
        return JsonDocument.Parse(buffer.AsMemory(0, filled)).RootElement.Clone();
    }

    /// <summary>The next message of a type, passing over others.</summary>
    public async Task<JsonElement> Expect(string type)
    {
        while (true)
        {
            var m = await Next();
            if (m.GetProperty("type").GetString() == type) return m;
        }
    }

    /// <summary>The next message of a type about one room, passing over others.</summary>
    public async Task<JsonElement> Expect(string type, string room)
    {
        while (true)
        {
            var m = await Expect(type);
            if (m.TryGetProperty("room", out var r) && r.GetString() == room) return m;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", default); } catch (Exception) { }
        socket.Dispose();
    }
}
