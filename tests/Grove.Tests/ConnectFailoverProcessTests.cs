using System.Net;
using System.Net.Sockets;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>
/// `grove connect` given several addresses (the nodes of a cluster), in line mode, against real servers: the first
/// that answers, and after a lost connection the next one first, then round the list.
/// </summary>
public sealed class ConnectFailoverProcessTests
{
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(30);

    private static GroveProcess Connect(TempFolder folder, params string[] args) =>
        GroveProcess.Start(["connect", .. args], folder.Path, redirectInput: true);

    private static string At(int port) => $"127\\.0\\.0\\.1:{port}";

    [Fact]
    public async Task When_its_server_shuts_down_the_client_moves_to_the_next_address_with_its_name_and_room()
    {
        using var folder = new TempFolder();
        var a = await TestServer.StartAsync();
        await using var b = await TestServer.StartAsync();
        int portA = a.Plain.Port, portB = b.Plain.Port;
        await using var dave = await b.JoinAsync("dave");
        await dave.SendAsync("/join #garden");
        await dave.ExpectAsync("^\\* You joined #garden");
        // One argument, comma-separated.
        await using var c = Connect(folder, $"127.0.0.1:{portA},127.0.0.1:{portB}", "--name", "carol");
        await c.ExpectOutputAsync($"^\\* connected to {At(portA)}$");
        await c.ExpectOutputAsync("^\\* Welcome, carol!");
        await c.SendInputAsync("/join #garden");
        await c.ExpectOutputAsync("^\\* You joined #garden");

        await a.DisposeAsync();
        await c.ExpectOutputAsync("^\\* The server is shutting down\\. Goodbye!$");
        await c.ExpectOutputAsync("^The server is shutting down; the connection closed\\.$");
        // The next address first, at once; the one that just closed last.
        await c.ExpectOutputAsync($"^Reconnecting to {At(portB)}, {At(portA)} \\(giving up after 30 s\\)…$");
        await c.ExpectOutputAsync($"^\\* connected to {At(portB)}$");
        await c.ExpectOutputAsync("^Reconnected as carol\\.$");
        await dave.ExpectAsync("^\\* carol joined #garden");
        await c.SendInputAsync("hello from the next node");
        await dave.ExpectAsync("^carol: hello from the next node$");
        c.CloseInput();
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
        Assert.DoesNotContain("Exception", c.StdOut + c.StdErr);
    }

    [Fact]
    public async Task A_first_address_that_refuses_is_passed_over_and_the_reconnect_goes_round_the_list_to_it()
    {
        using var folder = new TempFolder();
        var portA = TestPorts.Free(); // nothing listens there yet
        var b = await TestServer.StartAsync();
        var portB = b.Plain.Port;
        // Separate arguments.
        await using var c = Connect(folder, $"127.0.0.1:{portA}", $"127.0.0.1:{portB}", "--name", "erin");
        await c.ExpectOutputAsync($"^\\* connected to {At(portB)}$");
        await c.ExpectOutputAsync("^\\* Welcome, erin!");
        Assert.DoesNotContain("Cannot reach", c.StdOut); // a node that is down is no news while another answers

        await using var a = await TestServer.StartAsync(o => o.Port = portA);
        await b.DisposeAsync();
        await c.ExpectOutputAsync($"^Reconnecting to {At(portA)}, {At(portB)} ");
        await c.ExpectOutputAsync($"^\\* connected to {At(portA)}$");
        await c.ExpectOutputAsync("^Reconnected as erin\\.$");
        await using var frank = await a.JoinAsync("frank");
        await c.SendInputAsync("made it round");
        await frank.ExpectAsync("^erin: made it round$");
        c.CloseInput();
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
    }

    [Fact]
    public async Task A_node_restart_notice_is_said_and_the_client_moves_to_the_next_address()
    {
        using var folder = new TempFolder();
        await using var b = await TestServer.StartAsync();
        // A bare listener that greets like a Grove node, then says it restarts and closes, as a node does on SIGTERM.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var portA = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var c = Connect(folder, $"127.0.0.1:{portA}", $"127.0.0.1:{b.Plain.Port}", "--name", "gus");
        using (var socket = await listener.AcceptSocketAsync().WaitAsync(Exit))
        {
            await socket.SendAsync("What is your name?\r\n"u8.ToArray());
            await socket.ReceiveAsync(new byte[64]); // the name
            await socket.SendAsync("* Welcome, gus! You are in #lobby.\r\n"u8.ToArray());
            await c.ExpectOutputAsync("^\\* Welcome, gus!");
            await socket.SendAsync("* This node is restarting; reconnecting…\r\n"u8.ToArray());
            socket.Shutdown(SocketShutdown.Both);
        }
        listener.Stop();
        await c.ExpectOutputAsync("^This node is restarting; the connection closed\\.$");
        await c.ExpectOutputAsync($"^\\* connected to {At(b.Plain.Port)}$");
        await c.ExpectOutputAsync("^Reconnected as gus\\.$");
        await using var hal = await b.JoinAsync("hal");
        await c.SendInputAsync("still here");
        await hal.ExpectAsync("^gus: still here$");
        c.CloseInput();
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
    }

    [Fact]
    public async Task A_name_still_held_where_it_reconnects_is_tried_again_until_it_is_free()
    {
        using var folder = new TempFolder();
        var a = await TestServer.StartAsync();
        await using var b = await TestServer.StartAsync();
        // On B the name is still someone's, as a dead node's people stay on the others until it is declared lost.
        var stale = await b.JoinAsync("carol");
        await using var c = Connect(folder, $"127.0.0.1:{a.Plain.Port}", $"127.0.0.1:{b.Plain.Port}", "--name", "carol");
        await c.ExpectOutputAsync("^\\* Welcome, carol!");
        await a.DisposeAsync();
        await c.ExpectOutputAsync("^The name carol is still taken, most likely by the lost connection; trying it again for up to \\d+ s…$");
        await stale.SendAsync("/quit");
        await stale.ReadUntilClosedAsync();
        await stale.DisposeAsync();
        await c.ExpectOutputAsync("^Reconnected as carol\\.$");
        await using var ivy = await b.JoinAsync("ivy");
        await c.SendInputAsync("the name is mine again");
        await ivy.ExpectAsync("^carol: the name is mine again$");
        c.CloseInput();
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
        Assert.Single(c.StdOut.Split('\n'), l => l.StartsWith("The name carol is still taken", StringComparison.Ordinal)); // said once
        Assert.DoesNotContain("What is your name?", c.StdOut);
    }

    [Fact]
    public async Task When_no_address_answers_one_line_names_them_all_and_the_exit_code_is_2()
    {
        using var folder = new TempFolder();
        int portA = TestPorts.Free(), portB = TestPorts.Free();
        await using var c = Connect(folder, $"127.0.0.1:{portA}", $"127.0.0.1:{portB}");
        Assert.Equal(2, await c.WaitForExitAsync(Exit));
        Assert.Equal($"Cannot reach 127.0.0.1:{portA}, 127.0.0.1:{portB} — is the server running? (start it with: grove serve)", c.StdOut.Trim());
    }

    [Theory]
    [InlineData("127.0.0.1:7001|bad:port", "bad:port")]
    [InlineData("127.0.0.1:7001,host:99999|127.0.0.1:7002", "host:99999")]
    public async Task A_bad_address_in_the_list_is_named_and_the_exit_code_is_2(string arguments, string bad)
    {
        using var folder = new TempFolder();
        await using var c = Connect(folder, arguments.Split('|'));
        Assert.Equal(2, await c.WaitForExitAsync(Exit));
        Assert.Equal($"grove connect: \"{bad}\" is not HOST or HOST:PORT.", c.StdErr.Trim());
        Assert.Equal("", c.StdOut.Trim());
    }
}
