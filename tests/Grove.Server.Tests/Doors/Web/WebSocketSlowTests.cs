using System.Net.Sockets;
using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>A client that starts the WebSocket request head and never finishes it (slowloris).</summary>
public sealed class WebSocketSlowTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.RegistrationTimeoutSeconds = 1);
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_unfinished_request_head_is_closed_with_an_http_answer_not_a_websocket_frame()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_server.Http);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{_server.Http.Port}\r\n"));
        var got = new MemoryStream();
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        int n;
        while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0) got.Write(buffer, 0, n);
        var text = Encoding.UTF8.GetString(got.ToArray());
        // The connection was closed by the server (not by the test's timeout), and what came first is HTTP.
        Assert.StartsWith("HTTP/1.1 408 ", text);
        Assert.DoesNotContain("\"type\"", text);
    }

    [Fact]
    public async Task A_connection_still_in_its_handshake_does_not_take_the_shutdown_notice_from_the_browsers()
    {
        // The shutdown notice is one event for everyone: a connection still in its handshake, rendered first, must not
        // leave an empty rendering in the web door's shared frames for the upgraded ones.
        await using var server = await TestServer.StartAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Http);
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.Http.Port}\r\n"));
        await using var ws = await WsClient.OpenAsync(server.Http.Port);
        await ws.Send(new { type = "hello", name = "shutwatch" });
        await ws.Expect("welcome");
        var shutdown = server.Host.Chat.ShutdownAsync("The server is shutting down. Goodbye!", TimeSpan.FromSeconds(5));
        var notice = await ws.Expect("notice");
        Assert.Contains("shutting down", notice.GetProperty("text").GetString());
        await shutdown;
    }
}
