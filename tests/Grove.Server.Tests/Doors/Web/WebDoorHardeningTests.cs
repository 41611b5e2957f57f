using System.Net;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// The web door's protective headers, its check of the Host header against DNS rebinding, and its limit on the frames of
/// one WebSocket message (docs/protocol.md, "Web door"; docs/operations.md, "AllowedHosts").
/// </summary>
public sealed class WebDoorHardeningTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private readonly HttpClient _http = new();
    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.AllowedHosts = "chat.example, *.grove.example");
    public async Task DisposeAsync() { _http.Dispose(); await _server.DisposeAsync(); }

    private string Authority(string host) => $"{host}:{_server.Http.Port}";

    private async Task<HttpResponseMessage> Get(string path, string host)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.HttpUri, path));
        request.Headers.Host = Authority(host);
        return await _http.SendAsync(request);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/status")]
    [InlineData("/api/rooms")]
    public async Task Every_answer_carries_the_protective_headers(string path)
    {
        using var r = await _http.GetAsync(new Uri(_server.HttpUri, path));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var csp = Assert.Single(r.Headers.GetValues("Content-Security-Policy"));
        // Only the page's own files may run or style it, and no other page may frame it.
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("style-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("nosniff", Assert.Single(r.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(r.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(r.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task A_rebound_name_is_refused_on_the_websocket_the_api_and_the_status_page()
    {
        // The attacker's page at evil.example, its name now pointing at 127.0.0.1: the browser sends its own name as
        // both Host and Origin, so the Origin check alone sees the same origin.
        await using (var ws = await RawWebSocket.ConnectAsync(_server.Http, Authority("evil.example"), $"http://{Authority("evil.example")}"))
            Assert.Equal(403, ws.Status);
        foreach (var path in new[] { "/api/rooms", "/api/users", "/status.json", "/" })
        {
            using var r = await Get(path, "evil.example");
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("AllowedHosts", await r.Content.ReadAsStringAsync());
        }
        // Monitoring may use any name.
        using (var health = await Get("/healthz", "evil.example")) Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("[::1]")]
    [InlineData("chat.example")]
    [InlineData("CHAT.example")]
    [InlineData("a.grove.example")]
    public async Task Loopback_names_addresses_and_configured_names_are_accepted(string host)
    {
        await using (var ws = await RawWebSocket.ConnectAsync(_server.Http, Authority(host), $"http://{Authority(host)}"))
            Assert.Equal(101, ws.Status);
        using var r = await Get("/api/rooms", host);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Theory]
    [InlineData("grove.example")]
    [InlineData("chat.example.evil.example")]
    [InlineData("localhost.evil.example")]
    public async Task Names_that_only_look_like_allowed_ones_are_refused(string host)
    {
        using var r = await Get("/api/rooms", host);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
    }

    [Fact]
    public async Task An_endless_message_of_empty_fragments_is_cut_off()
    {
        // Flood control is off on the test server: the limit on fragments holds on its own.
        await using var ws = await RawWebSocket.ConnectAsync(_server.Http, Authority("127.0.0.1"));
        Assert.Equal(101, ws.Status);
        await ws.Stream.WriteAsync(RawWebSocket.Frame(fin: false, opcode: 1, "{"u8));
        var empty = RawWebSocket.Frame(fin: false, opcode: 0, []);
        var burst = new byte[empty.Length * 1000];
        for (var i = 0; i < 1000; i++) empty.CopyTo(burst, i * empty.Length);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var writer = Task.Run(async () =>
        {
            try { while (!stop.IsCancellationRequested) await ws.Stream.WriteAsync(burst, stop.Token); }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var code = await ws.ReadUntilCloseAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await writer;
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the socket was not closed");
        // Policy violation (RFC 6455 section 7.4.1); the reset that follows may overtake the Close frame.
        if (code is not null) Assert.Equal(1008, code);

        // The server is fine: another socket chats.
        await using var c = await WsClient.OpenAsync(_server.Http.Port);
        await c.Send(new { type = "ping" });
        await c.Expect("pong");
    }

    [Fact]
    public async Task Flood_control_counts_the_frames_of_a_message()
    {
        // 60 frames a message (under the limit of 64) cost 8 lines: the second message already floods. Counted as one
        // line each, three messages would stay within the burst of 10.
        await using var flood = await TestServer.StartAsync(o => { o.FloodControl = true; o.FloodBurst = 10; o.FloodRate = 2; o.FloodMaxDelaySeconds = 1; });
        await using var ws = await RawWebSocket.ConnectAsync(flood.Http, $"127.0.0.1:{flood.Http.Port}");
        Assert.Equal(101, ws.Status);
        var message = new List<byte>(RawWebSocket.Frame(fin: false, opcode: 1, "{\"type\":"u8));
        for (var i = 0; i < 58; i++) message.AddRange(RawWebSocket.Frame(fin: false, opcode: 0, []));
        message.AddRange(RawWebSocket.Frame(fin: true, opcode: 0, "\"ping\"}"u8));
        for (var i = 0; i < 3; i++) await ws.Stream.WriteAsync(message.ToArray());
        var texts = new List<string>();
        var code = await ws.ReadUntilCloseAsync(TimeSpan.FromSeconds(10), texts);
        Assert.Contains(texts, t => t.Contains("Excess flood"));
        Assert.Equal(1000, code);
    }
}
