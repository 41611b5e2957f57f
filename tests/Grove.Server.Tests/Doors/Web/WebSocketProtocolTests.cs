using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Grove.Server.Doors.Web;
using Grove.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>Grove's own WebSocket (RFC 6455) on the web port, byte by byte over real sockets.</summary>
public sealed class WebSocketProtocolTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.MaxWebSocketMessageBytes = 4096);
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Host => $"127.0.0.1:{_server.Http.Port}";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private async Task<RawWebSocket> OpenAsync()
    {
        var ws = await RawWebSocket.ConnectAsync(_server.Http, Host);
        Assert.Equal(101, ws.Status);
        return ws;
    }

    private static Task SendJson(RawWebSocket ws, object o) =>
        ws.Stream.WriteAsync(RawWebSocket.LongFrame(true, 1, JsonSerializer.SerializeToUtf8Bytes(o))).AsTask();

    /// <summary>Reads text frames until one of <paramref name="type"/> (its raw bytes and JSON).</summary>
    private static async Task<(byte[] Raw, JsonElement Json)> ExpectAsync(RawWebSocket ws, string type)
    {
        while (true)
        {
            var frame = await ws.ReadFrameAsync(Wait) ?? throw new IOException($"closed while waiting for {type}");
            if (frame.Opcode != 1) continue;
            var json = JsonDocument.Parse(frame.Payload).RootElement.Clone();
            if (json.GetProperty("type").GetString() == type) return (frame.Raw, json);
        }
    }

    [Fact]
    public async Task The_handshake_answers_with_the_accept_key_of_section_4_2_2()
    {
        // "the server has to take the value ... and concatenate this with the GUID ... A SHA-1 hash (160 bits),
        // base64-encoded": the example key of section 1.3 gives s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
        await using var ws = await RawWebSocket.SendRequestAsync(_server.Http, RawWebSocket.Request(Host, key: "dGhlIHNhbXBsZSBub25jZQ=="));
        Assert.Equal(101, ws.Status);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ws.Response);
    }

    [Theory]
    [InlineData("key", 400, "Sec-WebSocket-Key")]
    [InlineData("version", 426, "version 13")]
    [InlineData("origin", 403, "origin")]
    [InlineData("host", 403, "AllowedHosts")]
    [InlineData("plain", 400, "connect with a WebSocket client")]
    public async Task A_bad_upgrade_request_gets_a_clear_http_status_and_the_connection_closes(string what, int status, string says)
    {
        var request = what switch
        {
            "key" => RawWebSocket.Request(Host, key: "c2hvcnQ="),
            "version" => RawWebSocket.Request(Host, version: "8"),
            "origin" => RawWebSocket.Request(Host, origin: "http://evil.example"),
            "host" => RawWebSocket.Request($"evil.example:{_server.Http.Port}"),
            _ => $"GET /ws HTTP/1.1\r\nHost: {Host}\r\n\r\n",
        };
        await using var ws = await RawWebSocket.SendRequestAsync(_server.Http, request);
        Assert.Equal(status, ws.Status);
        // "If the server does not understand that version ... it MUST respond with ... Sec-WebSocket-Version" (4.4)
        if (status == 426) Assert.Contains("Sec-WebSocket-Version: 13\r\n", ws.Response);
        var body = new byte[512];
        using var cts = new CancellationTokenSource(Wait);
        var text = new StringBuilder();
        int n;
        while ((n = await ws.Stream.ReadAsync(body, cts.Token)) > 0) text.Append(Encoding.UTF8.GetString(body, 0, n));
        Assert.Contains(says, text.ToString());
    }

    [Fact]
    public async Task An_unmasked_client_frame_closes_with_1002()
    {
        // "The server MUST close the connection upon receiving a frame that is not masked." (section 5.1)
        await using var ws = await OpenAsync();
        await ws.Stream.WriteAsync(RawWebSocket.LongFrame(true, 1, """{"type":"ping"}"""u8, mask: false));
        Assert.Equal(1002, await ws.ReadUntilCloseAsync(Wait));
    }

    [Fact]
    public async Task A_frame_longer_than_the_limit_closes_with_1009_before_its_payload_arrives()
    {
        await using var ws = await OpenAsync();
        var frame = RawWebSocket.LongFrame(true, 1, new byte[5000]);
        await ws.Stream.WriteAsync(frame.AsMemory(0, 8)); // the header (2 + 2 length + 4 mask) only
        Assert.Equal(1009, await ws.ReadUntilCloseAsync(Wait));
    }

    [Fact]
    public async Task A_message_in_fragments_with_pings_between_is_one_message()
    {
        // "Control frames ... MAY be injected in the middle of a fragmented message." (section 5.4)
        await using var ws = await OpenAsync();
        var bytes = new List<byte>(RawWebSocket.Frame(fin: false, opcode: 1, """{"type":"""u8));
        bytes.AddRange(RawWebSocket.Frame(fin: true, opcode: 9, "p1"u8));
        bytes.AddRange(RawWebSocket.Frame(fin: true, opcode: 0, "\"ping\"}"u8));
        await ws.Stream.WriteAsync(bytes.ToArray().AsMemory());
        var pong = await ws.ReadFrameAsync(Wait);
        Assert.Equal(0xA, pong!.Value.Opcode);
        Assert.Equal("p1"u8.ToArray(), pong.Value.Payload);
        // The two fragments make {"type":"ping"}, whose answer is a pong message.
        await ExpectAsync(ws, "pong");
    }

    [Fact]
    public async Task The_close_handshake_echoes_the_code_and_ends_the_connection()
    {
        // "If an endpoint receives a Close frame and did not previously send a Close frame, the endpoint MUST send a
        // Close frame in response ... typically echoing the status code it received." (section 5.5.1)
        await using var ws = await OpenAsync();
        var payload = new byte[5];
        BinaryPrimitives.WriteUInt16BigEndian(payload, 1001);
        "bye"u8.CopyTo(payload.AsSpan(2));
        await ws.Stream.WriteAsync(RawWebSocket.Frame(fin: true, opcode: 8, payload));
        var close = await ws.ReadFrameAsync(Wait);
        Assert.Equal(8, close!.Value.Opcode);
        Assert.Equal(1001, BinaryPrimitives.ReadUInt16BigEndian(close.Value.Payload));
        Assert.Null(await ws.ReadFrameAsync(Wait)); // then the server closes the TCP connection
    }

    [Fact]
    public async Task A_ping_flood_is_cut_by_flood_control()
    {
        await using var flood = await TestServer.StartAsync(o => { o.FloodControl = true; o.FloodBurst = 10; o.FloodRate = 2; o.FloodMaxDelaySeconds = 1; });
        await using var ws = await RawWebSocket.ConnectAsync(flood.Http, $"127.0.0.1:{flood.Http.Port}");
        Assert.Equal(101, ws.Status);
        var ping = RawWebSocket.Frame(fin: true, opcode: 9, "x"u8);
        var burst = new byte[ping.Length * 200];
        for (var i = 0; i < 200; i++) ping.CopyTo(burst, i * ping.Length);
        await ws.Stream.WriteAsync(burst);
        var texts = new List<string>();
        var code = await ws.ReadUntilCloseAsync(Wait, texts);
        Assert.Contains(texts, t => t.Contains("Excess flood"));
        Assert.Equal(1000, code);
    }

    [Fact]
    public async Task A_room_message_is_rendered_once_and_every_member_gets_the_same_frame_bytes()
    {
        var clients = new List<RawWebSocket>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var ws = await OpenAsync();
                clients.Add(ws);
                await SendJson(ws, new { type = "hello", name = $"fan{i}" });
                await ExpectAsync(ws, "welcome");
            }
            // Everyone has seen the last arrival: every rendering before the message is done.
            foreach (var ws in clients.SkipLast(1))
                while ((await ExpectAsync(ws, "join")).Json.GetProperty("name").GetString() != "fan19") { }
            var renderer = _server.Host.Services.GetRequiredService<WebSocketDoor>().Renderer;
            var before = renderer.Renders;
            await SendJson(clients[0], new { type = "say", room = "#lobby", text = "one render" });
            var frames = new List<byte[]>();
            foreach (var ws in clients) frames.Add((await ExpectAsync(ws, "message")).Raw);
            // The broadcast once, and at most the sender's own echo: not one per member.
            Assert.InRange(renderer.Renders - before, 1, 2);
            foreach (var f in frames.Skip(2)) Assert.Equal(frames[1], f);
        }
        finally
        {
            foreach (var ws in clients) await ws.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_fan_out_loses_and_repeats_nothing()
    {
        const int members = 12, senders = 3, each = 150;
        var clients = new List<WsClient>();
        try
        {
            for (var i = 0; i < members; i++)
            {
                var c = await WsClient.OpenAsync(_server.Http.Port);
                clients.Add(c);
                await c.Send(new { type = "hello", name = $"fo{i}" });
                await c.Expect("welcome");
                await c.Send(new { type = "join", room = "#fanout" });
                await c.Expect("joined");
            }
            var sending = Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
            {
                for (var k = 0; k < each; k++) await clients[s].Send(new { type = "say", room = "#fanout", text = $"{s}:{k}" });
            })).ToList();
            var receiving = clients.Select(c => Task.Run(async () =>
            {
                var seen = new List<string>();
                while (seen.Count < senders * each)
                {
                    var m = await c.Expect("message");
                    if (m.GetProperty("room").GetString() == "#fanout") seen.Add(m.GetProperty("text").GetString()!);
                }
                return seen;
            })).ToList();
            await Task.WhenAll(sending);
            foreach (var seen in await Task.WhenAll(receiving))
            {
                Assert.Equal(senders * each, seen.Distinct().Count());
                for (var s = 0; s < senders; s++)
                    Assert.Equal(Enumerable.Range(0, each).Select(k => $"{s}:{k}"), seen.Where(t => t.StartsWith($"{s}:", StringComparison.Ordinal)));
            }
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }
}
