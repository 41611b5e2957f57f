using Grove.Testing;
using Npgsql;

namespace Grove.Tests;

public sealed partial class ClusterTests
{
    // A node delivers a block once it is in the log, and writes its messages to the tables just after. This holds the
    // tables (a lock on the messages table, from another PostgreSQL session), so every node dies before that write.
    [Fact]
    public async Task Messages_delivered_before_any_node_wrote_them_to_the_tables_are_in_history_after_every_node_was_killed()
    {
        await using var cluster = await ClusterHarness.StartAsync(2, new() { NodeLostAfter = 3 });
        await using var ann = await cluster[0].JoinAsync("ann");
        await using var bob = await cluster[1].JoinAsync("bob");
        await ann.ExpectAsync("^\\* bob joined #lobby");
        await ann.SendAsync("before");
        await bob.ExpectAsync("^ann: before$");
        Assert.Equal(["before"], (await cluster[1].RoomHistoryAsync("#lobby")).Select(m => m.Text));

        await using (var holder = new NpgsqlConnection(cluster.Database))
        {
            await holder.OpenAsync();
            await using var tx = await holder.BeginTransactionAsync();
            await using (var lockMessages = new NpgsqlCommand("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE", holder, tx))
                await lockMessages.ExecuteNonQueryAsync();

            // Delivered on both nodes while no node can write them to the tables: they are in the log.
            await ann.SendAsync("seen one");
            await ann.SendAsync("seen two");
            await bob.ExpectAsync("^ann: seen one$");
            await bob.ExpectAsync("^ann: seen two$");
            await KillEveryNodeAsync(cluster, holder, tx);
        }

        // Once no lease is alive, a node that starts alone applies the epoch's log again before its doors open.
        await WaitForNoLeaseAsync(cluster.Database, 3);
        // An account made now would be missing from the state the next start carries on with: it is refused.
        var (code, error) = await CreateRootAsync(cluster.Database);
        Assert.Equal(1, code);
        Assert.Matches("^grove account: The cluster on the database \\w+ on 127\\.0\\.0\\.1:\\d+ was stopped without writing all of its log to the tables \\(its nodes were killed\\): start one node and stop it with SIGTERM first\\. No account was created\\.$",
            error);
        var again = await cluster.StartNodeAsync(1);
        await again.Process.ExpectOutputAsync("recovered the cluster's log");
        Assert.Equal(["before", "seen one", "seen two"], (await again.RoomHistoryAsync("#lobby")).Select(m => m.Text));

        // A new person is shown that history on joining; the people of the killed nodes are gone.
        await using var cy = await again.JoinAsync("cy");
        await cy.ExpectAsync("^\\[history [^]]+\\] ann: seen two$");
        await cy.SendAsync("/who");
        Assert.DoesNotMatch("\\b(ann|bob)\\b", await cy.ExpectAsync("^\\* Online \\("));
    }

    // The nodes count a lease lost after 20 s, `grove account create` after 3 (its settings differ): once the killed
    // node's lease is 3 s old it makes the account, and the node started next must know it, not carry on the old epoch.
    [Fact]
    public async Task An_account_made_after_a_kill_with_a_shorter_node_lost_after_than_the_nodes_is_known_to_the_next_start()
    {
        await using var cluster = await ClusterHarness.StartAsync(1, new() { NodeLostAfter = 20 });
        await cluster.KillAsync(0);
        await WaitForNoLeaseAsync(cluster.Database, 3);
        Assert.Equal(0, (await CreateRootAsync(cluster.Database)).Code);
        var again = await cluster.StartNodeAsync(0);
        await again.Process.ExpectOutputAsync("started the cluster");
        await using var root = await again.LoggedInAsync("root", "correct horse battery");
    }

    /// <summary>`grove account create root` on the cluster's database, counting a lease lost after 3 s: exit code and stderr.</summary>
    private static async Task<(int Code, string Error)> CreateRootAsync(string database)
    {
        using var folder = new TempFolder();
        await using var create = GroveProcess.Start(["account", "create", "root"], folder.Path,
            new Dictionary<string, string> { ["GROVE_STORE"] = "postgres", ["GROVE_POSTGRES"] = database, ["GROVE_NODELOSTAFTERSECONDS"] = "3" },
            redirectInput: true);
        await create.SendInputAsync("correct horse battery");
        create.CloseInput();
        return (await create.WaitForExitAsync(TimeSpan.FromSeconds(30)), create.StdErr.Trim());
    }

    /// <summary>
    /// kill -9 of every node while <paramref name="holder"/> holds the tables. A write of theirs already sent (waiting
    /// for the lock, or not yet read) would still run once the lock went: their sessions end with them, as with a
    /// power cut before the write reached PostgreSQL. Then the lock goes.
    /// </summary>
    private static async Task KillEveryNodeAsync(ClusterHarness cluster, NpgsqlConnection holder, NpgsqlTransaction tx)
    {
        for (var i = 0; i < cluster.Count; i++) await cluster.KillAsync(i);
        await using (var end = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", holder, tx))
            await end.ExecuteScalarAsync();
        await tx.RollbackAsync();
    }
}
