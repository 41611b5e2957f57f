using System.Net;
using System.Net.Sockets;
using Grove.Testing;

namespace Grove.Tests;

public sealed class ServeProcessTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Serve_help_lists_every_flag()
    {
        using var folder = new TempFolder();
        await using var p = GroveProcess.Start(["serve", "--help"], folder.Path);
        Assert.Equal(0, await p.WaitForExitAsync(ExitTimeout));
        foreach (var flag in new[] { "--host", "--port", "--data", "--log-file", "--log-level", "--server-name", "--max-line-bytes", "--history-on-join", "--outbox-max-bytes", "--config", "--irc-port", "--http-port", "--network-name", "--ping-interval", "--ping-timeout", "--min-password-length", "--server-description", "--services-name" })
            Assert.Contains(flag, p.StdOut);
    }

    [Fact]
    public async Task A_port_in_use_gives_one_line_naming_the_port_and_the_flag_and_no_stack_trace()
    {
        // "A port already in use gives a one-line message naming the port and the flag to choose another, a non-zero
        // exit code and no stack trace."
        using var folder = new TempFolder();
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        await using var p = GroveProcess.Start(["serve", "--port", port.ToString(), "--irc-port", "-1", "--http-port", "-1", "--data", Path.Combine(folder.Path, "d"), "--log-file", Path.Combine(folder.Path, "log.txt")], folder.Path);
        var code = await p.WaitForExitAsync(ExitTimeout);
        Assert.NotEqual(0, code);
        var errorLines = p.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(errorLines);
        Assert.Contains($"Port {port}", errorLines[0]);
        Assert.Contains("--port", errorLines[0]);
        Assert.DoesNotContain("   at ", p.StdErr + p.StdOut);
        Assert.DoesNotContain("Exception", p.StdErr + p.StdOut);
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--irc-port")]
    public async Task A_second_server_on_the_same_port_is_refused_rather_than_sharing_the_connections(string flag)
    {
        // A listening socket that allowed port sharing (SO_REUSEPORT) would let a second server start on the same
        // port, and the kernel would then hand each new connection to one or the other.
        using var folder = new TempFolder();
        await using var first = await GroveProcess.ServeAsync(folder);
        var taken = flag == "--port" ? (await first.PlainEndPointAsync()).Port : (await first.IrcEndPointAsync()).Port;
        var other = flag == "--port" ? "--irc-port" : "--port";
        await using var second = GroveProcess.Start(["serve", flag, taken.ToString(), other, "0", "--http-port", "-1",
            "--data", Path.Combine(folder.Path, "d2"), "--log-file", Path.Combine(folder.Path, "log2.txt")], folder.Path);
        Assert.NotEqual(0, await second.WaitForExitAsync(ExitTimeout));
        var error = Assert.Single(second.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"Port {taken}", error);
        Assert.Contains(flag, error);
    }

    // "Within 5 seconds" is a wall-clock promise: checked in the "Quiet" phase (scripts/test.sh), with the machine to itself.
    [Fact]
    [Trait("Phase", "Quiet")]
    public async Task Sigterm_tells_every_client_closes_them_and_exits_0_within_5_seconds()
    {
        using var folder = new TempFolder();
        await using var p = await GroveProcess.ServeAsync(folder);
        var ep = await p.PlainEndPointAsync();
        await using var alice = await LineClient.JoinAsync(ep, "alice");
        await using var bob = await LineClient.JoinAsync(ep, "bob");
        await using var halfway = await LineClient.ConnectAsync(ep); // never chose a name
        await halfway.ExpectAsync("^What is your name");

        var started = DateTime.UtcNow;
        p.Signal("TERM");
        foreach (var c in new[] { alice, bob, halfway })
        {
            var lines = await c.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));
            Assert.Contains("* The server is shutting down. Goodbye!", lines);
        }
        Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.DoesNotContain("Exception", p.StdOut + p.StdErr);
    }

    [Theory]
    [InlineData("0", "epoll")]
    [InlineData("1", "zero-byte receives")]
    public async Task The_plain_and_irc_doors_work_with_epoll_and_with_its_fallback(string noEpoll, string how)
    {
        // On Linux x64 the socket transport learns that a connection has input from one epoll thread; elsewhere, or
        // with GROVE_NO_EPOLL=1, it waits with zero-byte receives. Both must carry a conversation and its ending.
        using var folder = new TempFolder();
        string[] args = ["serve", "--port", "0", "--irc-port", "0", "--http-port", "-1", "--log-level", "debug",
            "--data", Path.Combine(folder.Path, "data"), "--log-file", Path.Combine(folder.Path, "server_log.txt")];
        await using var p = GroveProcess.Start(args, folder.Path, new Dictionary<string, string> { ["GROVE_NO_EPOLL"] = noEpoll });
        await p.ExpectOutputAsync($"wait for input with {how}$");
        var plain = await p.PlainEndPointAsync();
        var irc = await p.IrcEndPointAsync();
        await using var alice = await LineClient.JoinAsync(plain, "alice");
        await using var dave = await LineClient.IrcAsync(irc, "dave");
        await dave.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^\\* dave joined #lobby");
        // Half a line waits for its end: the server reads it, carries a whole message the other way meanwhile, and
        // puts the line together when the rest comes.
        await alice.SendRawAsync("hello, "u8.ToArray());
        await dave.SendAsync("PRIVMSG #lobby :hi alice");
        await alice.ExpectAsync("^dave: hi alice$");
        await alice.SendAsync("dave");
        await dave.ExpectAsync("PRIVMSG #lobby :hello, dave$");
        await dave.SendAsync("QUIT :bye");
        await dave.ReadUntilClosedAsync();
        await alice.ExpectAsync("^\\* dave left");
        await alice.DisposeAsync(); // hangs up without a word
        p.Signal("TERM");
        Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        var log = await File.ReadAllTextAsync(Path.Combine(folder.Path, "server_log.txt"));
        Assert.Contains("(alice) on the plain door from 127.0.0.1", log);
        Assert.Matches("\\(alice\\) on the plain door from [^ ]+ closed: connection lost", log);
    }

    [Fact]
    [Trait("Phase", "Quiet")]
    public async Task Sigterm_with_a_client_that_does_not_read_still_exits_within_5_seconds()
    {
        using var folder = new TempFolder();
        await using var p = await GroveProcess.ServeAsync(folder);
        var ep = await p.PlainEndPointAsync();
        using var stuck = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        await stuck.ConnectAsync(ep);
        await stuck.SendAsync("stuck\n"u8.ToArray());
        await using var talker = await LineClient.JoinAsync(ep, "talker");
        for (var i = 0; i < 300; i++) await talker.SendAsync(new string('w', 3000)); // fills the stuck client's buffers
        await talker.LinesUntilBarrierAsync();
        var started = DateTime.UtcNow;
        p.Signal("TERM");
        Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(6)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5.5), $"took {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Settings_come_from_appsettings_json_then_environment_then_flags()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(Path.Combine(folder.Path, "appsettings.json"),
            """{ "ServerName": "from-json", "LogFile": "json.log", "Data": "json-data", "Port": 0, "IrcPort": 0, "HttpPort": 0 }""");
        await using (var p = GroveProcess.Start(["serve"], folder.Path, new Dictionary<string, string> { ["GROVE_SERVERNAME"] = "from-env" }))
        {
            await using var c = await LineClient.ConnectAsync(await p.PlainEndPointAsync());
            Assert.Equal("Welcome to Grove (from-env)!", await c.NextLineAsync());
            p.Signal("TERM");
            await p.WaitForExitAsync(ExitTimeout);
        }
        Assert.True(File.Exists(Path.Combine(folder.Path, "json.log")));
        Assert.True(File.Exists(Path.Combine(folder.Path, "json-data", "grove.db")));
        await using (var p = GroveProcess.Start(["serve", "--server-name", "from-flag"], folder.Path, new Dictionary<string, string> { ["GROVE_SERVERNAME"] = "from-env" }))
        {
            await using var c = await LineClient.ConnectAsync(await p.PlainEndPointAsync());
            Assert.Equal("Welcome to Grove (from-flag)!", await c.NextLineAsync());
        }
    }

    [Fact]
    public async Task A_bad_setting_is_one_clear_line()
    {
        using var folder = new TempFolder();
        await using var p = GroveProcess.Start(["serve", "--port", "70000"], folder.Path);
        Assert.Equal(1, await p.WaitForExitAsync(ExitTimeout));
        Assert.Equal("grove: --port must be between 0 and 65535 (got 70000).", p.StdErr.Trim());
        await using var q = GroveProcess.Start(["serve", "--port", "0", "--log-level", "loud"], folder.Path);
        Assert.Equal(1, await q.WaitForExitAsync(ExitTimeout));
        Assert.StartsWith("grove: Unknown log level \"loud\"", q.StdErr.Trim());
    }

    [Theory]
    [InlineData("--history-on-join", "-1", "0")]
    [InlineData("--outbox-max-bytes", "0", "1024")]
    [InlineData("--max-connections", "-5", "1")]
    public async Task A_value_out_of_range_is_refused_at_start_up_not_met_by_every_client(string flag, string value, string least) =>
        Assert.Equal($"grove: {flag} must be at least {least} (got {value}).", await RefusedAsync([flag, value]));

    [Theory]
    [InlineData("GROVE_SHUTDOWNSECONDS", "NaN", "The setting ShutdownSeconds must be between 0 and 3600 (got NaN).")]
    [InlineData("GROVE_FLOODRATE", "NaN", "The setting FloodRate must be between 0.01 and 1000000 (got NaN).")]
    [InlineData("GROVE_FLOODMAXDELAYSECONDS", "-1", "The setting FloodMaxDelaySeconds must be between 0.01 and 86400 (got -1).")]
    public async Task A_setting_with_fractions_that_is_not_a_number_in_its_range_is_refused_in_one_line(string variable, string value, string expected) =>
        Assert.Equal($"grove: {expected}", await RefusedAsync([], new Dictionary<string, string> { [variable] = value }));

    /// <summary>`grove serve` with these flags and variables, which must refuse to start: what it said.</summary>
    private static async Task<string> RefusedAsync(string[] flags, Dictionary<string, string>? env = null)
    {
        using var folder = new TempFolder();
        await using var p = GroveProcess.Start(["serve", "--port", "0", "--irc-port", "-1", "--http-port", "-1", .. flags], folder.Path, env);
        Assert.Equal(1, await p.WaitForExitAsync(ExitTimeout));
        return p.StdErr.Trim();
    }

    [Fact]
    public async Task A_settings_file_that_is_not_json_is_one_clear_line_naming_it()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "appsettings.json");
        await File.WriteAllTextAsync(file, "{ \"Port\": ");
        await using var p = GroveProcess.Start(["serve"], folder.Path);
        Assert.Equal(1, await p.WaitForExitAsync(ExitTimeout));
        var error = p.StdErr.Trim();
        Assert.StartsWith($"grove: The settings file {file} is not valid JSON: ", error);
        Assert.DoesNotContain("\n", error);
        Assert.DoesNotContain("Exception", error);
    }
}

public sealed class DataFolderProcessTests
{
    [Fact]
    public async Task A_data_folder_that_cannot_be_used_is_one_clear_line_at_start_up()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "not-a-folder");
        await File.WriteAllTextAsync(file, "x");
        await using var p = GroveProcess.Start(["serve", "--port", "0", "--irc-port", "-1", "--http-port", "-1", "--data", file, "--log-file", Path.Combine(folder.Path, "log.txt")], folder.Path);
        Assert.Equal(1, await p.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith("grove: Cannot create the data folder", p.StdErr.Trim());
        Assert.Contains("--data", p.StdErr);
        Assert.DoesNotContain("   at ", p.StdErr + p.StdOut);

        var notDb = Path.Combine(folder.Path, "bad");
        Directory.CreateDirectory(notDb);
        await File.WriteAllTextAsync(Path.Combine(notDb, "grove.db"), new string('x', 4096));
        await using var q = GroveProcess.Start(["serve", "--port", "0", "--irc-port", "-1", "--http-port", "-1", "--data", notDb, "--log-file", Path.Combine(folder.Path, "log.txt")], folder.Path);
        Assert.Equal(1, await q.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("is not a Grove database", q.StdErr);
    }
}
