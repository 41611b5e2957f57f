using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>What someone on one node learns about people on another: their idle time, how many users there are.</summary>
public sealed partial class ClusterTests
{
    [Fact]
    public async Task Whois_of_someone_on_another_node_counts_idle_from_their_last_line_not_from_when_they_came()
    {
        await using var cluster = await ClusterHarness.StartAsync(2);
        await using var nora = await cluster[0].JoinAsync("nora");
        await using var ivan = await cluster[1].JoinAsync("ivan");
        await nora.ExpectAsync("^\\* ivan joined #lobby");
        // Idle time is the point here: nora stays quiet long enough to be seen idle, then speaks.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await nora.SendAsync("back now");
        await ivan.ExpectAsync("^nora: back now$");
        await ivan.SendAsync("/whois nora");
        var idle = int.Parse(Regex.Match(await ivan.ExpectAsync("^\\*   idle \\d+s"), "idle (\\d+)s").Groups[1].Value);
        Assert.True(idle <= 1, $"nora spoke just now, but ivan's node says she has been idle {idle} s");
    }

    [Fact]
    public async Task Lusers_counts_the_people_of_every_node_as_global_users_and_this_nodes_as_local()
    {
        await using var cluster = await ClusterHarness.StartAsync(2);
        await using var nora = await cluster[0].JoinAsync("nora");
        await using var olga = await cluster[0].JoinAsync("olga");
        await using var ivan = await cluster[1].IrcAsync("ivan");
        // nora and olga were welcomed before ivan came, so node n1 applied their arrival before his LUSERS.
        await ivan.SendAsync("LUSERS");
        // The nodes are the servers: ivan's is linked to the other one.
        Assert.Matches(" 251 ivan :There are 3 users and 0 invisible on 2 servers$", await ivan.ExpectAsync(" 251 ivan "));
        Assert.Matches(" 255 ivan :I have 1 clients and 1 servers$", await ivan.ExpectAsync(" 255 ivan "));
        Assert.Matches(" 265 ivan 1 \\d+ :Current local users 1,", await ivan.ExpectAsync(" 265 ivan "));
        Assert.Matches(" 266 ivan 3 \\d+ :Current global users 3,", await ivan.ExpectAsync(" 266 ivan "));
    }

    [Fact]
    public async Task A_node_gives_memory_back_after_a_surge_of_people_that_came_and_went_on_another_node()
    {
        // A surge of 60 (30 came, 30 went) on the other node: the trimmer of n1, which has no connection of its own, must count them.
        await using var cluster = await ClusterHarness.StartAsync(2, new ClusterOptions { Extra = ["--memory-trim-after", "40"] });
        var people = new List<LineClient>();
        for (var i = 0; i < 30; i++) people.Add(await cluster[0].JoinAsync($"surge{i}"));
        foreach (var p in people) await p.DisposeAsync();
        var trimmed = await cluster[1].Process.ExpectOutputAsync("Gave memory back after \\d+ connections came or went", TimeSpan.FromSeconds(30));
        Assert.Contains("connections came or went", trimmed);
    }

    [Fact]
    public async Task A_node_joining_a_later_epoch_says_it_caught_up_with_as_many_blocks_as_it_said_it_would_apply()
    {
        await using var cluster = await ClusterHarness.StartAsync(2);
        await using (var first = await cluster[0].JoinAsync("first")) await first.SendAsync("/quit");
        // Both stopped, n0 starts a new epoch alone, whose base is past the blocks of the first one.
        await cluster.TerminateAsync(1);
        await cluster.TerminateAsync(0);
        await cluster.StartNodeAsync(0);
        await using var second = await cluster[0].JoinAsync("second");
        await second.SendAsync("a line in the new epoch");
        var late = await cluster.StartNodeAsync(1);
        var joined = await late.Process.ExpectOutputAsync("Node n1 .* joined the running cluster; \\d+ blocks");
        var caughtUp = await late.Process.ExpectOutputAsync("Caught up with the cluster's command log \\(\\d+ blocks");
        var toApply = Regex.Match(joined, "; (\\d+) blocks").Groups[1].Value;
        Assert.Equal(toApply, Regex.Match(caughtUp, "\\((\\d+) blocks").Groups[1].Value);
    }

    [Fact]
    public async Task Failed_logins_on_one_machine_count_on_another_whose_clock_started_ten_days_earlier()
    {
        // Node n1 runs as on a machine up for ten days longer (its own monotonic clock), as two machines of a cluster are.
        string[] ahead = ["unshare", .. Environment.UserName == "root" ? Array.Empty<string>() : ["--map-root-user"], "--time", "--monotonic", "864000", "--fork"];
        await using var cluster = await ClusterHarness.StartAsync(2);
        await cluster.TerminateAsync(1);
        await cluster.StartNodeAsync(1, ahead);
        await using (var alice = await cluster[0].JoinAsync("alice"))
        {
            await alice.SendAsync("/register alicepass1");
            await alice.ExpectAsync("is now your account");
        }
        await using var guesser = await cluster[0].JoinAsync("guesser");
        for (var i = 0; i < 5; i++)
        {
            await guesser.SendAsync($"/login alice wrong{i}");
            await guesser.ExpectAsync("Wrong name or password");
        }
        // The account has had its five failures in five minutes, whichever node is asked next.
        await using var other = await cluster[1].JoinAsync("other");
        await other.SendAsync("/login alice wrong5");
        await other.ExpectAsync("^! Too many failed logins");
    }

    [Fact]
    public async Task A_node_started_again_under_its_name_while_its_lease_runs_says_it_replaces_the_earlier_start()
    {
        await using var cluster = await ClusterHarness.StartAsync(2);
        await cluster.KillAsync(1);
        var again = await cluster.StartNodeAsync(1);
        await again.Process.ExpectOutputAsync("Node n1 replaces an earlier start of the same name \\(id \\d+\\)");
    }
}
