using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>A hostile client on the web port: requests and frames that break the rules must be refused plainly.</summary>
public sealed class WebSocketAttackTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.MaxWebSocketMessageBytes = 4096);
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Host => $"127.0.0.1:{_server.Http.Port}";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_request_head_over_the_limit_sent_in_one_write_is_refused_with_431()
    {
        // The transport reads up to 16 KiB at once, so a 12 KiB head can arrive whole; it is still too long.
        var good = RawWebSocket.Request(Host);
        var request = good[..^2] + "X-Pad: " + new string('a', 12 * 1024) + "\r\n\r\n";
        await using var ws = await RawWebSocket.SendRequestAsync(_server.Http, request);
        Assert.Equal(431, ws.Status);
    }

    [Theory]
    [InlineData(new byte[] { 0x03 }, 1002)]                      // a one-byte body cannot hold a code (5.5.1)
    [InlineData(new byte[] { 0x03, 0xE7 }, 1002)]                // 999: not a status code (7.4.2)
    [InlineData(new byte[] { 0x03, 0xED }, 1002)]                // 1005: never sent on the wire (7.4.1)
    [InlineData(new byte[] { 0x07, 0xD0 }, 1002)]                // 2000: reserved for the protocol's future
    [InlineData(new byte[] { 0x03, 0xE8, 0xC3, 0x28 }, 1007)]    // 1000 with a reason that is not UTF-8 (5.5.1)
    [InlineData(new byte[] { 0x0F, 0xA0, (byte)'o', (byte)'k' }, 4000)] // a private code is echoed
    public async Task A_close_frame_with_a_bad_code_or_reason_is_answered_with_the_code_for_it(byte[] payload, int expected)
    {
        await using var ws = await RawWebSocket.ConnectAsync(_server.Http, Host);
        Assert.Equal(101, ws.Status);
        await ws.Stream.WriteAsync(RawWebSocket.Frame(fin: true, opcode: 8, payload));
        Assert.Equal(expected, await ws.ReadUntilCloseAsync(Wait));
    }

    [Fact]
    public async Task Pages_and_health_are_served_while_many_connections_sit_silent_on_the_port()
    {
        var silent = new List<System.Net.Sockets.TcpClient>();
        try
        {
            for (var i = 0; i < 300; i++)
            {
                var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync(_server.Http);
                if (i % 2 == 0) await tcp.GetStream().WriteAsync("GET /w"u8.ToArray()); // half of them stop mid-peek
                silent.Add(tcp);
            }
            using var http = new HttpClient { BaseAddress = new Uri($"http://{Host}"), Timeout = Wait };
            using (var health = await http.GetAsync("/healthz")) Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
            await using var ws = await RawWebSocket.ConnectAsync(_server.Http, Host);
            Assert.Equal(101, ws.Status);
        }
        finally
        {
            foreach (var tcp in silent) tcp.Dispose();
        }
    }

    [Fact]
    public async Task A_declared_length_of_2_to_the_63_closes_with_1009_and_a_reset_mid_frame_harms_no_one()
    {
        await using (var huge = await RawWebSocket.ConnectAsync(_server.Http, Host))
        {
            byte[] header = [0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]; // masked, 64-bit length 2^63
            await huge.Stream.WriteAsync(header);
            Assert.Equal(1009, await huge.ReadUntilCloseAsync(Wait));
        }
        using (var rude = new System.Net.Sockets.TcpClient())
        {
            await rude.ConnectAsync(_server.Http);
            var stream = rude.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(RawWebSocket.Request(Host)));
            await stream.WriteAsync(RawWebSocket.LongFrame(true, 1, new byte[1000]).AsMemory(0, 300));
            rude.Client.LingerState = new System.Net.Sockets.LingerOption(true, 0); // closing now sends RST
        }
        await using var ws = await RawWebSocket.ConnectAsync(_server.Http, Host);
        Assert.Equal(101, ws.Status);
        await ws.Stream.WriteAsync(RawWebSocket.Frame(fin: true, opcode: 9, "still"u8));
        var pong = await ws.ReadFrameAsync(Wait);
        Assert.Equal(0xA, pong!.Value.Opcode);
    }
}
