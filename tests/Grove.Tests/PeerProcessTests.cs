using System.Net;
using System.Net.Sockets;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>`grove peer PORT` driven through its real standard input and output.</summary>
public sealed class PeerProcessTests
{
    [Fact]
    public async Task Two_peer_processes_talk_and_end_of_input_exits_cleanly()
    {
        using var folder = new TempFolder();
        var portA = TestPorts.Free();
        var portB = TestPorts.Free();
        await using var a = GroveProcess.Start(["peer", portA.ToString()], folder.Path, redirectInput: true);
        await using var b = GroveProcess.Start(["peer", portB.ToString()], folder.Path, redirectInput: true);
        await a.ExpectOutputAsync($"^Listening on 127\\.0\\.0\\.1 port {portA}\\.");
        await b.ExpectOutputAsync($"^Listening on 127\\.0\\.0\\.1 port {portB}\\.");
        await a.SendInputAsync($"connect 127.0.0.1 {portB}");
        await a.ExpectOutputAsync("^Connected to 127\\.0\\.0\\.1 .* as connection 1\\.$");
        await b.ExpectOutputAsync($"^Peer 127\\.0\\.0\\.1 {portA} connected as connection 1\\.$");
        await a.SendInputAsync("send 1 héllo through stdin");
        await a.ExpectOutputAsync("^Message sent to 1$");
        await b.ExpectOutputAsync("^Message received from 127\\.0\\.0\\.1$");
        await b.ExpectOutputAsync($"^Sender's Port: {portA}$");
        await b.ExpectOutputAsync("^Message: \"héllo through stdin\"$");
        await a.SendInputAsync("list");
        await a.ExpectOutputAsync($"^1: 127\\.0\\.0\\.1 {portB}$");
        a.CloseInput(); // end of input does what exit does
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        await b.ExpectOutputAsync($"^Peer 127\\.0\\.0\\.1 {portA} \\(connection 1\\) closed the connection\\.$");
        await b.SendInputAsync("exit");
        Assert.Equal(0, await b.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("Goodbye.", b.StdOut);
    }

    [Fact]
    public async Task A_port_in_use_is_one_clear_line()
    {
        using var folder = new TempFolder();
        using var blocker = new TcpListener(IPAddress.Any, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        await using var p = GroveProcess.Start(["peer", port.ToString()], folder.Path, redirectInput: true);
        Assert.Equal(1, await p.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal($"grove peer: port {port} is already in use. Choose another port.", p.StdErr.Trim());
    }
}
