using System.Net.Sockets;
using Grove.Testing;

namespace Grove.Server.Tests.Hosting;

public sealed class DoorsOffTests
{
    [Fact]
    public async Task Without_the_web_door_nothing_else_listens_so_two_servers_start_side_by_side()
    {
        // The plain and IRC doors have their own transport; with the web door off and no TLS there is nothing for
        // Kestrel, which must then not fall back to its default http://localhost:5000 (the second server would fail).
        await using var first = await TestServer.StartAsync(o => o.HttpPort = -1);
        await using var second = await TestServer.StartAsync(o => o.HttpPort = -1);
        Assert.Null(first.Host.HttpEndPoint);
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync("127.0.0.1", 5000));
        await using var alice = await first.JoinAsync("alice");
        await using var bob = await second.JoinAsync("bob");
        await alice.SendAsync("/who");
        await alice.ExpectAsync(@"^\* Online \(1\): alice$");
    }
}
