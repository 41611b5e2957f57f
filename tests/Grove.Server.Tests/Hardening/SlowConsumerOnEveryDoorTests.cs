using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Hardening;

/// <summary>
/// "A client that stops reading is disconnected once its outbound queue passes a bound in bytes, with the reason
/// logged and counted in /metrics", on the IRC and web doors (the plain door has its own test).
/// </summary>
public sealed class SlowConsumerOnEveryDoorTests
{
    private static async Task Flood(LineClient sender, LineClient reader, int count, Func<string, bool> isDelivery)
    {
        // A fast sender with a window, as a real client: it never waits for the stuck member.
        var line = new string('z', 1000);
        var received = 0;
        const int window = 100;
        for (var sent = 0; sent < count;)
        {
            var end = Math.Min(count, received + window);
            var burst = new StringBuilder();
            for (; sent < end; sent++) burst.Append($"{sent} {line}\n");
            await sender.SendRawAsync(Encoding.UTF8.GetBytes(burst.ToString()));
            while (received < sent - window / 2)
                if (isDelivery(await reader.NextLineAsync(TimeSpan.FromSeconds(30)))) received++;
        }
        while (received < count)
            if (isDelivery(await reader.NextLineAsync(TimeSpan.FromSeconds(30)))) received++;
    }

    [Fact]
    public async Task A_stuck_irc_client_is_cut_off_and_everyone_else_gets_every_message()
    {
        await using var server = await TestServer.StartAsync(); // the default 1 MiB outbox: a reader that keeps up never reaches it
        await using var sender = await server.JoinAsync("sender");
        await using var reader = await server.JoinAsync("reader");
        using var stuck = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        await stuck.ConnectAsync(server.Irc);
        await stuck.SendAsync("NICK stuck\r\nUSER s 0 * :S\r\nJOIN #lobby\r\n"u8.ToArray());
        await reader.ExpectAsync("^\\* stuck joined #lobby$");
        await Flood(sender, reader, 8000, l => l.StartsWith("sender: ", StringComparison.Ordinal));
        if (!reader.Seen.Contains("* stuck left (send queue exceeded)")) await reader.ExpectAsync("^\\* stuck left \\(send queue exceeded\\)$");
        Assert.Equal(1, server.Host.Chat.Metrics.SlowConsumerDisconnects);
        var metrics = await new HttpClient().GetStringAsync(new Uri(server.HttpUri, "/metrics"));
        Assert.Contains("grove_slow_consumer_disconnects_total 1", metrics);
    }

    [Fact]
    public async Task A_stuck_web_client_is_cut_off_and_everyone_else_gets_every_message()
    {
        await using var server = await TestServer.StartAsync(); // the default 1 MiB outbox: a reader that keeps up never reaches it
        await using var sender = await server.JoinAsync("sender");
        await using var reader = await server.JoinAsync("reader");
        using var stuck = new ClientWebSocket();
        // A tiny TCP receive buffer, so the kernel cannot absorb the flood for the client that never reads.
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        await stuck.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Http.Port}/ws"), invoker, default);
        await stuck.SendAsync("""{"type":"hello","name":"stuckweb"}"""u8.ToArray(), WebSocketMessageType.Text, true, default);
        await reader.ExpectAsync("^\\* stuckweb joined #lobby$");
        // The stuck client never calls ReceiveAsync again.
        await Flood(sender, reader, 8000, l => l.StartsWith("sender: ", StringComparison.Ordinal));
        if (!reader.Seen.Contains("* stuckweb left (send queue exceeded)")) await reader.ExpectAsync("^\\* stuckweb left \\(send queue exceeded\\)$");
        Assert.Equal(1, server.Host.Chat.Metrics.SlowConsumerDisconnects);
        Assert.Contains("send queue exceeded", await File.ReadAllTextAsync(server.LogFile));
    }

    [Fact]
    public async Task Who_and_rooms_answers_are_capped()
    {
        await using var server = await TestServer.StartAsync();
        var clients = new List<LineClient>();
        try
        {
            for (var i = 0; i < 505; i++) clients.Add(await LineClient.JoinAsync(server.Plain, $"u{i:000}"));
            await clients[0].LinesUntilBarrierAsync();
            await clients[0].SendAsync("/who");
            var who = await clients[0].ExpectAsync("^\\* Online \\(505\\): ");
            Assert.EndsWith(", and 5 more", who);
            Assert.Equal(500, who["* Online (505): ".Length..].Split(", and")[0].Split(", ").Length);
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }
}
