using Grove.Testing;

namespace Grove.Tests;

/// <summary>A wrong command line gets one line that names the flag and the value, from the real program.</summary>
public sealed class UsageErrorProcessTests
{
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(30);

    private static async Task<GroveProcess> RunAsync(TempFolder folder, params string[] args)
    {
        var p = GroveProcess.Start(args, folder.Path);
        await p.WaitForExitAsync(Exit);
        return p;
    }

    [Theory]
    [InlineData("serve", "--bogus")]
    [InlineData("connect", "--bogus")]
    [InlineData("peer", "--bogus")]
    [InlineData("bench fanout", "--bogus")]
    public async Task An_unknown_flag_is_one_line_that_names_it_and_points_to_help(string command, string flag)
    {
        using var folder = new TempFolder();
        await using var p = await RunAsync(folder, [.. command.Split(' '), flag, "5001"]);
        Assert.Equal(2, p.Process.ExitCode);
        Assert.Equal($"grove {command}: unknown flag {flag}. See grove {command} --help for more.", p.StdErr.Trim());
        Assert.Equal("", p.StdOut.Trim());
    }

    [Fact]
    public async Task A_value_of_the_wrong_kind_names_the_flag_and_the_value()
    {
        using var folder = new TempFolder();
        await using var serve = await RunAsync(folder, "serve", "--port", "abc");
        Assert.Equal(1, serve.Process.ExitCode);
        Assert.Equal("grove: --port \"abc\" is not a whole number.", serve.StdErr.Trim());

        var env = new Dictionary<string, string> { ["GROVE_FLOODCONTROL"] = "maybe" };
        await using var fromEnv = GroveProcess.Start(["serve", "--port", "0"], folder.Path, env);
        Assert.Equal(1, await fromEnv.WaitForExitAsync(Exit));
        Assert.Equal("grove: GROVE_FLOODCONTROL=\"maybe\" is not true or false.", fromEnv.StdErr.Trim());

        await using var bench = await RunAsync(folder, "bench", "fanout", "--clients", "many");
        Assert.Equal(2, bench.Process.ExitCode);
        Assert.Equal("grove bench fanout: --clients \"many\" is not a whole number. See grove bench fanout --help for more.", bench.StdErr.Trim());

        await using var peer = await RunAsync(folder, "peer", "abc");
        Assert.Equal(2, peer.Process.ExitCode);
        Assert.Equal("grove peer: PORT \"abc\" is not a whole number. See grove peer --help for more.", peer.StdErr.Trim());
    }

    [Theory]
    [InlineData("serve", "--data")]
    [InlineData("bench fanout", "--port")]
    public async Task A_flag_given_twice_is_said_as_such(string command, string flag)
    {
        using var folder = new TempFolder();
        await using var p = await RunAsync(folder, [.. command.Split(' '), flag, "1", flag, "2"]);
        Assert.Equal(2, p.Process.ExitCode);
        Assert.Equal($"grove {command}: {flag} is given more than once (\"1\", \"2\"); give it once. See grove {command} --help for more.", p.StdErr.Trim());
    }

    [Fact]
    public async Task A_folder_given_as_the_log_file_is_one_line_naming_the_flag()
    {
        using var folder = new TempFolder();
        await using var p = await RunAsync(folder, "serve", "--port", "0", "--irc-port", "-1", "--http-port", "-1",
            "--data", Path.Combine(folder.Path, "data"), "--log-file", folder.Path);
        Assert.Equal(1, p.Process.ExitCode);
        Assert.Equal($"grove: --log-file {folder.Path} is a folder; give a file, such as {Path.Combine(folder.Path, "server_log.txt")}.", p.StdErr.Trim());
    }

    [Theory]
    [InlineData("fanout")]
    [InlineData("idle")]
    [InlineData("churn")]
    public async Task Bench_help_shows_each_default_once(string workload)
    {
        using var folder = new TempFolder();
        await using var p = await RunAsync(folder, "bench", workload, "--help");
        Assert.Equal(0, p.Process.ExitCode);
        Assert.Contains("[default: 127.0.0.1]", p.StdOut);
        foreach (var line in p.StdOut.Split('\n'))
            Assert.True(line.Split("default").Length <= 2, $"a default twice: {line}");
    }
}
