using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>
/// Issue 20 item 15: with a low open-file limit and more connections arriving than fit, the server logged accept
/// failures in a tight loop and aborted ("Out of memory.", exit 134), dropping everyone. docs/operations.md, "Open
/// files": "the server lowers its connection limit to what fits and says so in one line; running out costs only the
/// connections that do not fit".
/// </summary>
public sealed class OpenFilesProcessTests
{
    // The server needs about 220 descriptors of its own (mostly assemblies) and keeps 128 free: about 100 connections fit.
    private const int OpenFiles = 450;

    [Fact]
    public async Task More_connections_than_the_open_file_limit_allows_cost_only_those_that_do_not_fit()
    {
        using var folder = new TempFolder();
        await using var p = await GroveProcess.ServeAsync(folder, OpenFiles);
        var line = await p.ExpectOutputAsync("Open files are limited to");
        var fit = int.Parse(Regex.Match(line, @"at most ([\d,]+) connections instead of 10,000").Groups[1].Value.Replace(",", ""));
        Assert.InRange(fit, 1, OpenFiles - 128);

        var plain = await p.PlainEndPointAsync();
        await using var alice = await LineClient.JoinAsync(plain, "alice");
        await using var bob = await LineClient.JoinAsync(plain, "bob");
        await alice.SendAsync("before the flood");
        await bob.ExpectAsync("^alice: before the flood$");

        // Five times what fits, on the IRC door and the web door (idle HTTP connections have no session).
        var irc = await p.IrcEndPointAsync();
        var http = int.Parse(Regex.Match(p.StdOut, @"The web door listens on [^ ]+:(\d+) ").Groups[1].Value);
        var flood = new List<Socket>();
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            for (var i = 0; i < 3 * fit; i++)
                flood.Add(await OpenAsync(irc.Port, $"NICK flood{i}\r\nUSER f 0 * :f\r\n"));
            for (var i = 0; i < 2 * fit; i++)
                flood.Add(await OpenAsync(http, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));

            // Everyone already connected is still served.
            await alice.SendAsync("during the flood");
            await bob.ExpectAsync("^alice: during the flood$");
            Assert.False(p.Process.HasExited, p.StdErr);
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            // Once per 10-s interval per listener at most, not once per attempt.
            var warnings = Regex.Matches(p.StdOut, "Accepting a connection on|Not accepting on").Count;
            Assert.True(warnings <= 2 * (1 + (int)(seconds / 10)), p.StdOut);
        }
        finally
        {
            foreach (var s in flood) s.Dispose();
        }

        // When they have gone there is room again.
        await using var late = await WhenThereIsRoomAsync(irc, "late");
        await late.SendAsync("JOIN #after");
        await late.ExpectAsync(" JOIN :?#after");
        await alice.SendAsync("after the flood");
        await bob.ExpectAsync("^alice: after the flood$");

        p.Signal("TERM");
        Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("Out of memory", p.StdErr);
    }

    [Fact]
    public async Task A_limit_that_leaves_room_for_no_connection_refuses_to_start_with_one_line()
    {
        using var folder = new TempFolder();
        await using var p = GroveProcess.Start(["serve", "--port", "0", "--irc-port", "0", "--http-port", "0",
            "--data", Path.Combine(folder.Path, "data"), "--log-file", Path.Combine(folder.Path, "log.txt")], folder.Path, openFiles: 300);
        Assert.NotEqual(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var error = Assert.Single(p.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Open files are limited to 300 (ulimit -n)", error);
        Assert.Contains("Raise the limit", error);
        Assert.DoesNotContain("   at ", p.StdErr + p.StdOut);
    }

    /// <summary>Registers on IRC, trying again while the server is full: it notices the flood's hang-ups one by one.</summary>
    private static async Task<LineClient> WhenThereIsRoomAsync(System.Net.IPEndPoint irc, string nick)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var c = await LineClient.ConnectAsync(irc);
            try
            {
                // One write: a refused connection is closed at once, and a second write would meet a reset.
                await c.SendAsync($"NICK {nick}\r\nUSER {nick} 0 * :{nick}");
                var answer = await c.ExpectAsync($" (376|422) {nick} |^ERROR :Closing Link: The server is full");
                if (!answer.StartsWith("ERROR", StringComparison.Ordinal)) return c;
            }
            catch (IOException)
            {
                // refused before the registration was written
            }
            await c.DisposeAsync();
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
                throw new TimeoutException("The server stayed full after the flood had gone.");
        }
    }

    private static async Task<Socket> OpenAsync(int port, string hello)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(System.Net.IPAddress.Loopback, port);
        await s.SendAsync(Encoding.ASCII.GetBytes(hello));
        return s;
    }
}
