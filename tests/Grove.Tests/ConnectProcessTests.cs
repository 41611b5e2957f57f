using System.Net;
using System.Net.Sockets;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>`grove connect` in line mode (standard input is a pipe) against real servers.</summary>
public sealed class ConnectProcessTests
{
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(30);

    private static GroveProcess Connect(TempFolder folder, IPEndPoint server, params string[] extra) =>
        GroveProcess.Start(["connect", $"127.0.0.1:{server.Port}", .. extra], folder.Path, redirectInput: true);

    [Fact]
    public async Task Two_clients_chat_and_end_of_input_leaves_cleanly_with_exit_code_0()
    {
        using var folder = new TempFolder();
        await using var server = await TestServer.StartAsync();
        await using var bob = await server.JoinAsync("bob");
        await using var alice = Connect(folder, server.Plain, "--name", "alice");
        await alice.ExpectOutputAsync("^\\* Welcome, alice!");
        await bob.ExpectAsync("^\\* alice joined #lobby$");
        Assert.DoesNotContain("What is your name?", alice.StdOut); // --name answers it; scripts read clean output

        await alice.SendInputAsync("hello bob 👋");
        await bob.ExpectAsync("^alice: hello bob 👋$");
        await bob.SendAsync("hi alice");
        await alice.ExpectOutputAsync("^bob: hi alice$");
        await alice.SendInputAsync("/msg bob private words");
        await bob.ExpectAsync("^\\[private\\] alice: private words$");

        alice.CloseInput();
        Assert.Equal(0, await alice.WaitForExitAsync(Exit));
        Assert.Contains("* Goodbye, alice!", alice.StdOut);
        await bob.ExpectAsync("^\\* alice left \\(quit\\)$");
        Assert.DoesNotContain("Exception", alice.StdOut + alice.StdErr);
    }

    [Fact]
    public async Task Without_a_name_the_first_line_is_the_name_and_a_taken_name_is_asked_again()
    {
        using var folder = new TempFolder();
        await using var server = await TestServer.StartAsync();
        await using var taken = await server.JoinAsync("alice");
        await using var c = Connect(folder, server.Plain);
        await c.ExpectOutputAsync("^What is your name\\?$");
        await c.SendInputAsync("ALICE");
        await c.ExpectOutputAsync("^! The name \"ALICE\" is already taken\\.$");
        await c.SendInputAsync("alicia");
        await c.ExpectOutputAsync("^\\* Welcome, alicia!");
        await c.SendInputAsync("/quit done here");
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
        await taken.ExpectAsync("^\\* alicia left \\(done here\\)$");
    }

    [Theory]
    [InlineData("9bad", "^! A name must start with a letter")]
    [InlineData("ALICE", "^! The name \"ALICE\" is already taken\\.$")]
    public async Task A_refused_name_option_in_line_mode_exits_3_with_the_reason_and_keeps_the_first_line_a_message(string name, string reason)
    {
        using var folder = new TempFolder();
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.JoinAsync("alice");
        await using var c = Connect(folder, server.Plain, "--name", name);
        await c.SendInputAsync("x"); // as `printf 'x\n' | grove connect --name …`
        c.CloseInput();
        Assert.Equal(3, await c.WaitForExitAsync(Exit));
        await c.ExpectOutputAsync(reason);
        Assert.Contains($"No name chosen: the server refused \"{name}\".", c.StdOut);
        Assert.DoesNotContain("* Welcome,", c.StdOut);
        Assert.DoesNotContain("What is your name?", c.StdOut);
        await alice.SendAsync("/who");
        Assert.Equal("* Online (1): alice", await alice.ExpectAsync("^\\* Online"));
    }

    [Fact]
    public async Task In_line_mode_a_registered_name_takes_the_first_line_as_its_password_and_a_wrong_one_ends_with_a_reason()
    {
        using var folder = new TempFolder();
        await using var server = await TestServer.StartAsync();
        await using (var owner = await server.JoinAsync("carol"))
        {
            await owner.SendAsync("/register carols-secret");
            await owner.ExpectAsync("^\\* The name carol is now your account");
            await owner.SendAsync("/quit");
            await owner.ReadUntilClosedAsync();
        }
        await using var c = Connect(folder, server.Plain, "--name", "carol");
        await c.SendInputAsync("x"); // as `printf 'x\n' | grove connect --name carol`
        c.CloseInput();
        Assert.Equal(3, await c.WaitForExitAsync(Exit));
        await c.ExpectOutputAsync("^! Wrong name or password\\.$");
        await c.ExpectOutputAsync("^No name chosen: the input ended before the server accepted a name\\.$");
    }

    [Fact]
    public async Task A_registered_name_asks_for_its_password_and_a_reconnect_logs_in_again_without_asking()
    {
        using var folder = new TempFolder();
        var port = TestPorts.Free();
        using var data = new TempFolder();
        var first = await TestServer.StartAsync(o => o.Port = port, data);
        await using (var owner = await first.JoinAsync("carol"))
        {
            await owner.SendAsync("/register carols-secret");
            await owner.ExpectAsync("^\\* The name carol is now your account");
            await owner.SendAsync("/quit");
            await owner.ReadUntilClosedAsync(); // the name is free before the client asks for it
        }
        await using var c = Connect(folder, first.Plain, "--name", "carol");
        await c.ExpectOutputAsync("^The name carol is registered\\. Type its password");
        await c.SendInputAsync("not it");
        await c.ExpectOutputAsync("^! Wrong name or password\\.$");
        await c.SendInputAsync("carol"); // the name again, as asked
        await c.ExpectOutputAsync("^The name carol is registered\\. Type its password");
        await c.SendInputAsync("carols-secret");
        await c.ExpectOutputAsync("^\\* You are logged in as carol\\.$");
        await c.ExpectOutputAsync("^\\* Welcome, carol!");

        await first.DisposeAsync();
        await using var second = await TestServer.StartAsync(o => o.Port = port, data);
        await c.ExpectOutputAsync("^Reconnected as carol\\.$");
        c.CloseInput();
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
        // Asked twice before the first login, and not at all to reconnect.
        Assert.Equal(2, c.StdOut.Split('\n').Count(l => l.StartsWith("The name carol is registered. Type its password", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_server_that_is_not_running_is_one_clear_line_and_exit_code_2()
    {
        using var folder = new TempFolder();
        var port = TestPorts.Free();
        await using var c = GroveProcess.Start(["connect", $"127.0.0.1:{port}"], folder.Path, redirectInput: true);
        Assert.Equal(2, await c.WaitForExitAsync(Exit));
        Assert.Equal($"Cannot reach 127.0.0.1:{port} — is the server running? (start it with: grove serve)", c.StdOut.Trim());
        Assert.Equal("", c.StdErr.Trim());
    }

    [Fact]
    public async Task A_host_name_that_does_not_resolve_is_said_as_such_not_as_a_stopped_server()
    {
        using var folder = new TempFolder();
        // .invalid never resolves (RFC 6761), so no network is needed to see the failure.
        await using var c = GroveProcess.Start(["connect", "nohost.invalid:6969"], folder.Path, redirectInput: true);
        Assert.Equal(2, await c.WaitForExitAsync(Exit));
        Assert.Equal("Cannot find the host nohost.invalid: check its name, or give its address.", c.StdOut.Trim());
    }

    [Fact]
    public async Task A_server_shutdown_is_noticed_and_the_client_reconnects_with_the_same_name()
    {
        using var folder = new TempFolder();
        var port = TestPorts.Free();
        var first = await TestServer.StartAsync(o => o.Port = port);
        await using var c = Connect(folder, first.Plain, "--name", "carol");
        await c.ExpectOutputAsync("^\\* Welcome, carol!");
        await c.SendInputAsync("/join #garden");
        await c.ExpectOutputAsync("^\\* You joined #garden");
        await first.DisposeAsync();
        await c.ExpectOutputAsync("^\\* The server is shutting down\\. Goodbye!$");
        await c.ExpectOutputAsync("^The server is shutting down; the connection closed\\.$");
        await c.ExpectOutputAsync("^Reconnecting to 127\\.0\\.0\\.1:\\d+ in \\d s \\(giving up after 30 s\\)");

        await using var second = await TestServer.StartAsync(o => o.Port = port);
        await c.ExpectOutputAsync("^Reconnected as carol\\.$");
        await using var dave = await second.JoinAsync("dave");
        await dave.SendAsync("/who #garden");
        await dave.ExpectAsync("^\\* In #garden \\(1\\): carol$");
        await c.SendInputAsync("back again");
        await dave.SendAsync("/join #garden");
        await dave.ExpectAsync("^\\* You joined #garden"); // else carol's line may come before dave is in the room
        await c.SendInputAsync("hello garden");
        await dave.ExpectAsync("^carol: hello garden$");
        c.CloseInput();
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
    }

    [Fact]
    public async Task With_no_reconnect_a_lost_connection_ends_the_client_with_exit_code_1()
    {
        using var folder = new TempFolder();
        var server = await TestServer.StartAsync();
        await using var c = Connect(folder, server.Plain, "--name", "erin", "--no-reconnect");
        await c.ExpectOutputAsync("^\\* Welcome, erin!");
        await server.DisposeAsync();
        Assert.Equal(1, await c.WaitForExitAsync(Exit));
        Assert.Contains("The server is shutting down; the connection closed.", c.StdOut);
        Assert.DoesNotContain("Exception", c.StdOut + c.StdErr);
    }

    [Fact]
    public async Task A_connection_reset_by_the_network_says_connection_lost()
    {
        using var folder = new TempFolder();
        // A bare listener that greets like Grove, then resets the connection.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var c = GroveProcess.Start(["connect", $"127.0.0.1:{port}", "--name", "fay", "--no-reconnect"], folder.Path, redirectInput: true);
        using var socket = await listener.AcceptSocketAsync().WaitAsync(Exit);
        await socket.SendAsync("What is your name?\r\n"u8.ToArray());
        var buffer = new byte[64];
        await socket.ReceiveAsync(buffer); // the name
        await socket.SendAsync("* Welcome, fay! You are in #lobby.\r\n"u8.ToArray());
        await c.ExpectOutputAsync("^\\* Welcome, fay!");
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
        Assert.Equal(1, await c.WaitForExitAsync(Exit));
        Assert.Contains("Connection lost.", c.StdOut);
    }

    [Fact]
    public async Task Connect_help_describes_the_client()
    {
        using var folder = new TempFolder();
        await using var c = GroveProcess.Start(["connect", "--help"], folder.Path);
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
        foreach (var word in new[] { "--name", "--no-reconnect", "HOST[:PORT]", "Ctrl+C", "NO_COLOR" })
            Assert.Contains(word, c.StdOut);
    }
}
