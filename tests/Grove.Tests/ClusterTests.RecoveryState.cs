using Grove.Testing;
using Npgsql;

namespace Grove.Tests;

public sealed partial class ClusterTests
{
    // Every table a node writes when it materializes, held by another session so that no node writes them before all
    // of them die: what is then in history and state came from the log, applied again by the node that started alone.
    private const string HoldTables = "LOCK TABLE messages, rooms, room_settings, accounts, audit, server_bans, tokens IN ACCESS EXCLUSIVE MODE";

    [Fact]
    public async Task Account_topic_and_ban_made_just_before_every_node_was_killed_are_kept_and_a_second_node_joining_sees_the_same()
    {
        await using var cluster = await ClusterHarness.StartAsync(2, new() { NodeLostAfter = 3 });
        await using var ann = await cluster[0].JoinAsync("ann");
        await using var bob = await cluster[1].JoinAsync("bob");
        await ann.ExpectAsync("^\\* bob joined #lobby");

        await using (var holder = new NpgsqlConnection(cluster.Database))
        {
            await holder.OpenAsync();
            await using var tx = await holder.BeginTransactionAsync();
            await using (var hold = new NpgsqlCommand(HoldTables, holder, tx)) await hold.ExecuteNonQueryAsync();

            await ann.SendAsync("/register sesame-sesame");
            await ann.ExpectAsync("^\\* The name ann is now your account");
            await ann.SendAsync("/join #den");
            await ann.ExpectAsync("^\\* You joined #den");
            // Registered, so its topic and bans outlive an empty room.
            await ann.SendAsync("/room register");
            await ann.ExpectAsync("#den is registered to your account");
            await ann.SendAsync("/topic the den's topic");
            await ann.ExpectAsync("the den's topic");
            await ann.SendAsync("/ban #den troll");
            await ann.LinesUntilBarrierAsync();
            await bob.SendAsync("/join #den");
            await ann.ExpectAsync("^\\* bob joined #den");
            await ann.SendAsync("hello den");
            await bob.ExpectAsync("^ann: hello den$");
            await KillEveryNodeAsync(cluster, holder, tx);
        }
        await WaitForNoLeaseAsync(cluster.Database, 3);

        var first = await cluster.StartNodeAsync(1);
        await first.Process.ExpectOutputAsync("recovered the cluster's log");
        await CheckDenAsync(first, "cy");

        // A second node joins the recovered epoch: the same history, people and state.
        var second = await cluster.StartNodeAsync(0);
        await second.Process.ExpectOutputAsync("joined the running cluster");
        await CheckDenAsync(second, "dee");
        Assert.Equal(await first.RoomHistoryAsync("#lobby"), await second.RoomHistoryAsync("#lobby"));
        await using var w1 = await first.JoinAsync("watcher1");
        await using var w2 = await second.JoinAsync("watcher2");
        await w1.SendAsync("/who");
        var who1 = await w1.ExpectAsync("^\\* Online \\(");
        await w2.SendAsync("/who");
        Assert.Equal(who1, await w2.ExpectAsync("^\\* Online \\("));
        Assert.DoesNotMatch("\\b(ann|bob)\\b", who1);
    }

    private static async Task CheckDenAsync(ClusterNode node, string name)
    {
        Assert.Equal(["hello den"], (await node.RoomHistoryAsync("#den")).Select(m => m.Text));
        await using var c = await node.JoinAsync(name);
        await c.SendAsync("/join #den");
        await c.ExpectAsync("^\\* You joined #den");
        await c.SendAsync("/topic");
        await c.ExpectAsync("^\\* Topic of #den: the den's topic");
        await using var guest = await node.ConnectAsync();
        await guest.ExpectAsync("^What is your name\\?$");
        await guest.SendAsync("ann");
        await guest.ExpectAsync("^The name ann is registered\\.");
        await using var troll = await node.JoinAsync($"troll");
        await troll.SendAsync("/join #den");
        await troll.ExpectAsync("^! You are banned from #den\\.");
    }

    /// <summary>Waits (at most 30 s) until no node of the cluster has a lease younger than <paramref name="seconds"/>.</summary>
    private static async Task WaitForNoLeaseAsync(string database, int seconds)
    {
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var alive = new NpgsqlCommand($"SELECT count(*) FROM cluster_nodes WHERE NOT gone AND beat_at > now() - interval '{seconds} seconds'", db);
            if ((long)(await alive.ExecuteScalarAsync())! == 0) return;
            Assert.True(DateTime.UtcNow < deadline, "the killed nodes' leases did not run out within 30 s");
            await using var wait = new NpgsqlCommand("SELECT pg_sleep(0.1)", db);
            await wait.ExecuteNonQueryAsync();
        }
    }
}
