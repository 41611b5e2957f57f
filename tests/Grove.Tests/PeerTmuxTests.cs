using System.Net;
using System.Net.Sockets;
using System.Text;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>`grove peer` in a pseudo-terminal under tmux: the line being typed survives incoming messages.</summary>
public sealed class PeerTmuxTests
{
    [Fact]
    public async Task An_incoming_message_does_not_clobber_the_half_typed_line_and_ctrl_u_clears_it()
    {
        var port = TestPorts.Free();
        using var tmux = new TmuxScreen($"dotnet {GroveProcess.GroveDll} peer {port}; echo EXIT=$?; sleep 30", 60, 16);
        await tmux.WaitFor(s => s.Contains($"port {port}. Type help"), "the peer listening");

        // The other peer is a plain socket speaking the peer protocol.
        using var other = new TcpClient();
        await other.ConnectAsync(IPAddress.Loopback, port);
        var stream = other.GetStream();
        var reader = new StreamReader(stream, Encoding.UTF8);
        await stream.WriteAsync("HELLO 40123\n"u8.ToArray());
        Assert.Equal($"HELLO {port}", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)));
        await tmux.WaitFor(s => s.Contains("Peer 127.0.0.1 40123 connected as connection 1."), "the incoming peer");

        tmux.Type("send 1 half typ");
        await tmux.WaitFor(s => TmuxScreen.LastLine(s) == "> send 1 half typ", "the typed text");
        await stream.WriteAsync("MSG hello from far away\n"u8.ToArray());
        var screen = await tmux.WaitFor(s => s.Contains("Message: \"hello from far away\""), "the message");
        Assert.Equal("> send 1 half typ", TmuxScreen.LastLine(screen));
        Assert.Equal(17, tmux.Cursor().X);

        tmux.Keys("C-u");
        await tmux.WaitFor(s => TmuxScreen.LastLine(s) == ">", "the cleared line");
        tmux.Type("send 1 whole line");
        tmux.Keys("Enter");
        Assert.Equal("MSG whole line", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)));
        tmux.Keys("Up");
        await tmux.WaitFor(s => TmuxScreen.LastLine(s) == "> send 1 whole line", "the previous line from history");
        tmux.Keys("C-u");
        tmux.Type("exit");
        tmux.Keys("Enter");
        Assert.Equal("BYE", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)));
        screen = await tmux.WaitFor(s => s.Contains("EXIT="), "the peer's exit");
        Assert.Contains("EXIT=0", screen);
        Assert.DoesNotContain("Unknown command", screen);
    }

    [Fact]
    public async Task The_peer_listens_on_loopback_unless_told_otherwise()
    {
        using var folder = new TempFolder();
        var port = TestPorts.Free();
        await using var p = GroveProcess.Start(["peer", port.ToString()], folder.Path, redirectInput: true);
        await p.ExpectOutputAsync($"^Listening on 127\\.0\\.0\\.1 port {port}\\.");
        using var elsewhere = new TcpClient();
        // 127.0.0.2 is this machine too, but not the address the peer listens on.
        await Assert.ThrowsAsync<SocketException>(() => elsewhere.ConnectAsync(IPAddress.Parse("127.0.0.2"), port));

        var port2 = TestPorts.Free();
        await using var q = GroveProcess.Start(["peer", "--host", "127.0.0.2", port2.ToString()], folder.Path, redirectInput: true);
        await q.ExpectOutputAsync($"^Listening on 127\\.0\\.0\\.2 port {port2}\\.");
        using var there = new TcpClient();
        await there.ConnectAsync(IPAddress.Parse("127.0.0.2"), port2);
        p.CloseInput();
        q.CloseInput();
        Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, await q.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }
}
