using System.Text.Json;
using Grove.Testing;

namespace Grove.Tests;

public sealed class BenchProcessTests
{
    /// <summary>Runs `grove bench fanout` with these options against a real server (flood control off); its JSON line and output.</summary>
    private static async Task<(JsonElement Result, string StdOut)> FanOutAsync(params string[] options)
    {
        using var folder = new TempFolder();
        await using var server = await GroveProcess.ServeAsync(folder);
        var ep = await server.PlainEndPointAsync();
        await using var bench = GroveProcess.Start(["bench", "fanout", "--port", ep.Port.ToString(), .. options, "--server-pid", server.Pid.ToString()], folder.Path);
        Assert.Equal(0, await bench.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        using var doc = JsonDocument.Parse(bench.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last());
        return (doc.RootElement.Clone(), bench.StdOut);
    }

    [Fact]
    public async Task A_tiny_fanout_run_against_a_real_server_delivers_everything_and_reports_json()
    {
        var (r, output) = await FanOutAsync("--clients", "12", "--senders", "3", "--duration", "1", "--window", "8");
        Assert.Equal("fanout", r.GetProperty("workload").GetString());
        Assert.True(r.GetProperty("messagesSent").GetInt64() > 0);
        Assert.Equal(r.GetProperty("messagesSent").GetInt64() * 11, r.GetProperty("deliveries").GetInt64());
        Assert.Equal(0, r.GetProperty("lost").GetInt64());
        Assert.Equal(0, r.GetProperty("duplicated").GetInt64());
        Assert.True(r.GetProperty("serverCpuSeconds").GetDouble() > 0);
        Assert.True(r.GetProperty("latencyP99Ms").GetDouble() > 0);
        Assert.Contains("deliveries per CPU-second", output);
    }

    [Fact]
    public async Task A_fixed_rate_run_sends_the_rate_for_the_duration_and_reports_its_pacing()
    {
        var (r, output) = await FanOutAsync("--clients", "6", "--senders", "4", "--rate", "100", "--duration", "2");
        // One message every 10 ms for 2 s, taking turns over the 4 senders: the schedule is exactly 200 messages, sent
        // late rather than dropped when the machine is busy (a timer that fired late once made it 202).
        var sent = r.GetProperty("messagesSent").GetInt64();
        Assert.Equal(200, sent);
        Assert.Equal(sent * 5, r.GetProperty("deliveries").GetInt64());
        Assert.Equal(0, r.GetProperty("lost").GetInt64());
        Assert.True(r.GetProperty("sendLatenessP99Ms").GetDouble() >= 0);
        Assert.Contains("pacing     p99", output);
    }

    [Fact]
    public async Task Against_a_server_with_flood_control_the_losses_come_with_the_reason()
    {
        using var folder = new TempFolder();
        // As a new user runs it: flood control on, as by default.
        await using var server = GroveProcess.Start(["serve", "--port", "0", "--irc-port", "-1", "--http-port", "-1",
            "--data", Path.Combine(folder.Path, "data"), "--log-file", Path.Combine(folder.Path, "server_log.txt")], folder.Path);
        var ep = await server.PlainEndPointAsync();
        await using var bench = GroveProcess.Start(["bench", "fanout", "--port", ep.Port.ToString(), "--clients", "4", "--senders", "2", "--duration", "1"], folder.Path);
        Assert.Equal(0, await bench.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("WARNING: deliveries were lost", bench.StdOut);
        Assert.Contains("benchmark one started with --flood-control false", bench.StdOut);
    }

    [Fact]
    public async Task A_control_room_needs_a_door_where_one_person_is_in_two_rooms()
    {
        using var folder = new TempFolder();
        await using var bench = GroveProcess.Start(["bench", "fanout", "--door", "plain", "--port", "6969", "--clients", "2", "--senders", "1", "--control-room"], folder.Path);
        Assert.Equal(2, await bench.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--control-room needs a door where one person is in two rooms at once", bench.StdErr);
    }

    [Theory]
    [InlineData("5", "10", "grove bench: --senders 10 does not fit --clients 5: give 1 to 5 senders.")]
    [InlineData("1", "1", "grove bench: --clients 1 is too few: a fan-out needs at least 2.")]
    public async Task Clients_and_senders_that_do_not_fit_name_both_flags_and_values(string clients, string senders, string line)
    {
        using var folder = new TempFolder();
        await using var bench = GroveProcess.Start(["bench", "fanout", "--port", "6969", "--clients", clients, "--senders", senders], folder.Path);
        Assert.Equal(2, await bench.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(line, bench.StdErr.Trim());
    }

    [Fact]
    public async Task Bench_refuses_a_server_that_is_not_on_loopback()
    {
        using var folder = new TempFolder();
        await using var bench = GroveProcess.Start(["bench", "fanout", "--host", "192.0.2.1", "--port", "6969", "--clients", "2", "--senders", "1"], folder.Path);
        Assert.Equal(2, await bench.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("only drives servers on loopback", bench.StdErr);
    }
}
