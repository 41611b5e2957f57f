using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>The WebSocket JSON protocol and the HTTP API over real sockets (docs/protocol.md, "Web door").</summary>
public sealed class WebSocketApiTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private readonly HttpClient _http = new();
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() { _http.Dispose(); await _server.DisposeAsync(); }

    private async Task<WsClient> Open(string? origin = null)
    {
        var socket = new ClientWebSocket();
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_server.Http.Port}/ws"), default);
        return new WsClient(socket);
    }

    private async Task<WsClient> Hello(string name)
    {
        var ws = await Open($"http://127.0.0.1:{_server.Http.Port}");
        await ws.Send(new { type = "hello", name });
        var welcome = await ws.Expect("welcome");
        Assert.Equal(name, welcome.GetProperty("name").GetString());
        return ws;
    }

    [Fact]
    public async Task Hello_join_say_private_and_events_carry_ids_and_times()
    {
        await using var a = await Hello("alice");
        var joined = await a.Expect("joined");
        Assert.Equal("#lobby", joined.GetProperty("room").GetString());
        await using var b = await Hello("bob");
        var join = await a.Expect("join");
        Assert.Equal("bob", join.GetProperty("name").GetString());
        await using var nc = await _server.JoinAsync("carl");

        await b.Send(new { type = "say", room = "#lobby", text = "hello 👋" });
        var m = await a.Expect("message");
        Assert.Equal("bob", m.GetProperty("from").GetString());
        Assert.Equal("hello 👋", m.GetProperty("text").GetString());
        Assert.True(m.GetProperty("id").GetInt64() > 0);
        Assert.True(DateTimeOffset.UtcNow - m.GetProperty("time").GetDateTimeOffset() < TimeSpan.FromMinutes(1));
        var echo = await b.Expect("message");
        Assert.Equal(m.GetProperty("id").GetInt64(), echo.GetProperty("id").GetInt64());
        await nc.ExpectAsync("^bob: hello 👋$");

        await nc.SendAsync("/msg alice from netcat");
        var p = await a.Expect("private");
        Assert.Equal("carl", p.GetProperty("from").GetString());
        await a.Send(new { type = "msg", to = "carl", text = "back at you" });
        await nc.ExpectAsync("^\\[private\\] alice: back at you$");

        await a.Send(new { type = "join", room = "#web" });
        var j = await a.Expect("joined");
        Assert.True(j.GetProperty("members")[0].GetProperty("op").GetBoolean());
        await a.Send(new { type = "topic", room = "#web", text = "All about the web" });
        Assert.Equal("All about the web", (await a.Expect("topic")).GetProperty("topic").GetString());
        await b.Send(new { type = "away", text = "lunch" });
        var presence = await a.Expect("presence");
        Assert.Equal("lunch", presence.GetProperty("away").GetString());
    }

    [Fact]
    public async Task Errors_follow_the_same_rules_as_the_other_doors()
    {
        await using var nc = await _server.JoinAsync("taken");
        await using var ws = await Open();
        await ws.Send(new { type = "say", room = "#lobby", text = "too early" });
        Assert.Equal("not_registered", (await ws.Expect("error")).GetProperty("code").GetString());
        await ws.Send(new { type = "hello", name = "TAKEN" });
        var e = await ws.Expect("error");
        Assert.Equal("name_in_use", e.GetProperty("code").GetString());
        Assert.Equal("The name \"TAKEN\" is already taken.", e.GetProperty("text").GetString());
        await ws.Send(new { type = "hello", name = "bad name" });
        Assert.Equal("erroneous_name", (await ws.Expect("error")).GetProperty("code").GetString());
        await ws.Send(new { type = "hello", name = "fine" });
        await ws.Expect("welcome");
        await ws.Send(new { type = "join", room = "no-hash" });
        Assert.Equal("bad_room_name", (await ws.Expect("error")).GetProperty("code").GetString());
        await ws.Send(new { type = "dance" });
        Assert.Equal("unknown_command", (await ws.Expect("error")).GetProperty("code").GetString());
        await ws.Socket.SendAsync("not json"u8.ToArray(), WebSocketMessageType.Text, true, default);
        Assert.Equal("bad_argument", (await ws.Expect("error")).GetProperty("code").GetString());
        await ws.Send(new { type = "command", text = "/bamboo" });
        Assert.Contains("🐼", (await ws.Expect("notice")).GetProperty("text").GetString());
    }

    [Fact]
    public async Task Another_websites_origin_is_refused_and_a_configured_one_is_allowed()
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", "https://evil.example");
        var ex = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_server.Http.Port}/ws"), default));
        Assert.Contains("403", ex.Message);
        await using var server2 = await TestServer.StartAsync(o => o.AllowedOrigins = ["https://chat.example"]);
        var ok = new ClientWebSocket();
        ok.Options.SetRequestHeader("Origin", "https://chat.example");
        await ok.ConnectAsync(new Uri($"ws://127.0.0.1:{server2.Http.Port}/ws"), default);
        Assert.Equal(WebSocketState.Open, ok.State);
        ok.Dispose();
    }

    [Fact]
    public async Task An_oversized_message_closes_the_socket_with_1009()
    {
        await using var ws = await Hello("big");
        await ws.Socket.SendAsync(Encoding.UTF8.GetBytes(new string('x', 20_000)), WebSocketMessageType.Text, true, default);
        while (true)
        {
            try { await ws.Next(); }
            catch (IOException e)
            {
                Assert.Contains("MessageTooBig", e.Message);
                break;
            }
        }
    }

    [Fact]
    public async Task History_pages_back_by_id()
    {
        await using var nc = await _server.JoinAsync("writer");
        for (var i = 1; i <= 30; i++) await nc.SendAsync($"n{i}");
        await nc.LinesUntilBarrierAsync();
        await using var ws = await Hello("reader");
        var onJoin = await ws.Expect("history");
        var ids = onJoin.GetProperty("messages").EnumerateArray().Select(x => x.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(20, ids.Count);
        await ws.Send(new { type = "history", target = "#lobby", before = ids[0], limit = 5 });
        var page = await ws.Expect("history");
        Assert.True(page.GetProperty("older").GetBoolean());
        Assert.False(page.GetProperty("complete").GetBoolean());
        Assert.Equal(["n6", "n7", "n8", "n9", "n10"], page.GetProperty("messages").EnumerateArray().Select(x => x.GetProperty("text").GetString()));
        await ws.Send(new { type = "history", target = "#lobby", before = page.GetProperty("messages")[0].GetProperty("id").GetInt64(), limit = 50 });
        var rest = await ws.Expect("history");
        Assert.True(rest.GetProperty("complete").GetBoolean());
        Assert.Equal(5, rest.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task The_json_api_health_and_metrics_answer_over_http()
    {
        await using var nc = await _server.JoinAsync("apiuser");
        await nc.SendAsync("for the api");
        await nc.SendAsync("/join #secret");
        await nc.SendAsync("/topic hidden");
        await nc.LinesUntilBarrierAsync();
        var baseUri = _server.HttpUri;
        var rooms = await _http.GetFromJsonAsync<JsonElement>(new Uri(baseUri, "/api/rooms"));
        Assert.Contains(rooms.EnumerateArray(), r => r.GetProperty("name").GetString() == "#lobby");
        var messages = await _http.GetFromJsonAsync<JsonElement>(new Uri(baseUri, "/api/rooms/%23lobby/messages?limit=5"));
        Assert.Equal("for the api", messages.GetProperty("messages").EnumerateArray().Last().GetProperty("text").GetString());
        var none = await _http.GetAsync(new Uri(baseUri, "/api/rooms/nowhere/messages"));
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        var users = await _http.GetFromJsonAsync<JsonElement>(new Uri(baseUri, "/api/users"));
        Assert.Equal("apiuser", users[0].GetProperty("name").GetString());
        Assert.DoesNotContain("127.0.0.1", users.GetRawText());
        var health = await _http.GetFromJsonAsync<JsonElement>(new Uri(baseUri, "/healthz"));
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("ok", health.GetProperty("store").GetString());
        var metrics = await _http.GetStringAsync(new Uri(baseUri, "/metrics"));
        Assert.Contains("grove_connections{door=\"plain\"} 1", metrics);
        Assert.Matches("grove_messages_in_total [1-9]", metrics);
        Assert.Contains("# TYPE grove_deliveries_total counter", metrics);
        Assert.Contains("grove_slow_consumer_disconnects_total 0", metrics);
        Assert.Matches("grove_store_commit_seconds_total \\d", metrics);
        Assert.Matches("process_resident_memory_bytes [1-9]", metrics);
        Assert.Matches("grove_gc_collections_total\\{generation=\"0\"\\} \\d", metrics);
        Assert.Matches("grove_gc_pause_seconds_total \\d", metrics);
        var page = await _http.GetStringAsync(baseUri);
        Assert.Contains("<script src=\"/app.js\">", page);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", "")); // nothing from a CDN
    }
}
