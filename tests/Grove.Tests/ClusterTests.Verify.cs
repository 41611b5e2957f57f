using System.Diagnostics;
using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Tests;

// Delivery no longer waits for the tables (a block is delivered once it is in the log, and written to the tables just
// after): these check that nothing anyone saw is missing from history, asked at once or after the nodes stopped.
public sealed partial class ClusterTests
{
    [Fact]
    public async Task History_asked_the_instant_a_line_arrives_on_another_node_holds_it_on_every_door_and_in_private()
    {
        await using var cluster = await ClusterHarness.StartAsync(2);
        await using var ann = await cluster[0].JoinAsync("ann");
        await using var bob = await cluster[1].JoinAsync("bob");
        await using var ivan = await cluster[1].IrcWithCapsAsync("ivan", HistoryCaps);
        await ivan.SendAsync("JOIN #lobby");
        await ann.ExpectAsync("^\\* ivan joined #lobby");
        for (var i = 1; i <= 4; i++)
        {
            await ann.SendAsync($"line {i}");
            // Each asks the moment the line reaches it: the tables may not hold it yet. (The plain door's /history of
            // a room pages back from what its person saw, from the room's ring: not asked here.)
            await bob.ExpectAsync($"^ann: line {i}$");
            await ivan.ExpectAsync($":ann!\\S+ PRIVMSG #lobby :line {i}$");
            await ivan.SendAsync("CHATHISTORY LATEST #lobby * 50");
            var api = await cluster[1].RoomHistoryAsync("#lobby");
            Assert.Equal($"line {i}", api.LastOrDefault()?.Text);
            await ivan.ExpectAsync("BATCH \\+\\S+ chathistory #lobby$");
            Assert.Equal($"ann: line {i}", (await ivan.IrcBarrierAsync()).Select(l => IrcSaid(l, "#lobby", inBatch: true)).OfType<string>().LastOrDefault());

            // A private line, to someone new each time (the first /history of a conversation is its newest page):
            // its history on the receiving node at once, and on the sending node.
            await using var cy = await cluster[1].JoinAsync($"cy{i}");
            await ann.ExpectAsync($"^\\* cy{i} joined #lobby");
            await ann.SendAsync($"/msg cy{i} secret {i}");
            await cy.ExpectAsync($"^\\[private\\] ann: secret {i}$");
            await cy.SendAsync("/history ann");
            var cys = (await cy.LinesUntilBarrierAsync()).Where(l => l.StartsWith("[history ", StringComparison.Ordinal)).ToList();
            Assert.True(cys.Count > 0 && cys[^1].EndsWith($"[private ann to cy{i}] secret {i}", StringComparison.Ordinal), string.Join(" | ", cys));
            await ann.ExpectAsync($"^\\[private to cy{i}\\] ann: secret {i}$");
            await ann.SendAsync($"/history cy{i}");
            var anns = (await ann.LinesUntilBarrierAsync()).Where(l => l.StartsWith("[history ", StringComparison.Ordinal)).ToList();
            Assert.True(anns.Count > 0 && anns[^1].EndsWith($"[private ann to cy{i}] secret {i}", StringComparison.Ordinal), string.Join(" | ", anns));
        }
    }

    [Fact]
    public async Task Sigterm_of_the_last_node_writes_everything_so_the_next_start_is_a_fresh_epoch_with_all_history()
    {
        await using var cluster = await ClusterHarness.StartAsync(2);
        await using (var ann = await cluster[0].JoinAsync("ann"))
        await using (var bob = await cluster[1].JoinAsync("bob"))
        {
            await ann.ExpectAsync("^\\* bob joined #lobby");
            await bob.SendAsync("/topic kept over the restart");
            await bob.ExpectAsync("kept over the restart");
            for (var i = 1; i <= 3; i++) await ann.SendAsync($"a{i}");
            await bob.ExpectAsync("^ann: a3$");
            Assert.Equal(0, await cluster.TerminateAsync(0));
            for (var i = 1; i <= 3; i++) await bob.SendAsync($"b{i}");
            await bob.LinesUntilBarrierAsync();
            Assert.Equal(0, await cluster.TerminateAsync(1));
        }

        // Every block was written by the last node as it stopped: nothing of the log is left to replay.
        var again = await cluster.StartNodeAsync(1);
        await again.Process.ExpectOutputAsync("started the cluster");
        Assert.Equal(["a1", "a2", "a3", "b1", "b2", "b3"], (await again.RoomHistoryAsync("#lobby")).Select(m => m.Text));
        await using var cy = await again.JoinAsync("cy");
        await cy.SendAsync("/topic");
        await cy.ExpectAsync("kept over the restart");
    }

    [Fact]
    public async Task With_postgres_down_history_answers_within_seconds_and_sigterm_of_the_last_node_tells_its_people_and_exits_within_ten()
    {
        await using var cluster = await ClusterHarness.StartAsync(1, new() { OwnPostgres = true });
        await using var ann = await cluster[0].JoinAsync("ann");
        await using var bob = await cluster[0].JoinAsync("bob");
        await using var ivan = await cluster[0].IrcWithCapsAsync("ivan", HistoryCaps);
        await ivan.SendAsync("JOIN #lobby");
        await ann.ExpectAsync("^\\* ivan joined #lobby");
        await ann.SendAsync("before");
        await bob.ExpectAsync("^ann: before$");
        await ivan.ExpectAsync(":ann!\\S+ PRIVMSG #lobby :before$");
        cluster.StopPostgres();
        await ann.SendAsync("during");
        await ann.ExpectAsync("^" + Regex.Escape(Refusal) + "$");

        // A store read answers (an error or what it has), and soon.
        var asked = Stopwatch.StartNew();
        await bob.SendAsync("/history 5");
        await bob.LinesUntilBarrierAsync();
        Assert.True(asked.Elapsed < TimeSpan.FromSeconds(5), $"/history took {asked.Elapsed.TotalSeconds:F1} s while PostgreSQL was down");
        asked.Restart();
        await ivan.SendAsync("CHATHISTORY LATEST #lobby * 50");
        await ivan.IrcBarrierAsync();
        Assert.True(asked.Elapsed < TimeSpan.FromSeconds(5), $"CHATHISTORY took {asked.Elapsed.TotalSeconds:F1} s while PostgreSQL was down");
        asked.Restart();
        var api = Task.Run(() => cluster[0].RoomHistoryAsync("#lobby"));
        await Task.WhenAny(api, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(api.IsCompleted, "GET /api/rooms/lobby/messages did not answer within 5 s while PostgreSQL was down");

        var logFile = cluster[0].LogFile;
        var stopping = Stopwatch.StartNew();
        await cluster.TerminateAsync(0);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"SIGTERM took {stopping.Elapsed.TotalSeconds:F1} s while PostgreSQL was down");
        // The log could not take the node's leaving, and its people are told all the same.
        Assert.Contains(NodeRestarting, await bob.ReadUntilClosedAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains(await ivan.ReadUntilClosedAsync(TimeSpan.FromSeconds(5)), l => l.Contains("This node is restarting", StringComparison.Ordinal));
        // The failed reads were logged in one line each, without a stack trace.
        var log = await File.ReadAllTextAsync(logFile);
        Assert.Contains("A history read failed (", log);
        Assert.DoesNotMatch(new Regex("(?m)^\\s+at \\S+\\("), log);
    }

    [Fact]
    public async Task Senders_on_three_nodes_at_once_are_seen_live_on_every_node_in_the_order_history_keeps()
    {
        await using var cluster = await ClusterHarness.StartAsync(3);
        var senders = new List<LineClient>();
        var watchers = new List<LineClient>();
        try
        {
            for (var n = 0; n < 3; n++) watchers.Add(await cluster[n].JoinAsync($"watch{n}"));
            for (var n = 0; n < 3; n++) senders.Add(await cluster[n].JoinAsync($"s{n}"));
            foreach (var w in watchers) await ExpectAllAsync(w, TimeSpan.FromSeconds(30), "^\\* s0 joined", "^\\* s1 joined", "^\\* s2 joined");

            // Each node's own blocks come from its appender, the others' from its reader: one order all the same.
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var talk = Task.WhenAll(senders.Select((s, n) => Task.Run(async () =>
            {
                await go.Task;
                for (var i = 1; i <= 30; i++) await s.SendAsync($"m{n}-{i}");
                await s.SendAsync($"end{n}");
            })));
            go.SetResult();
            await talk;
            var live = new List<List<string>>();
            foreach (var w in watchers)
            {
                await ExpectAllAsync(w, TimeSpan.FromSeconds(30), "^s0: end0$", "^s1: end1$", "^s2: end2$");
                live.Add(w.Seen.Select(l => System.Text.RegularExpressions.Regex.Match(l, "^s\\d: (.*)$")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList());
            }
            for (var n = 0; n < 3; n++)
            {
                var history = (await cluster[n].RoomHistoryAsync("#lobby")).Select(m => m.Text).ToList();
                Assert.Equal(history, live[n]);
                Assert.Equal(live[0], live[n]);
            }
        }
        finally
        {
            foreach (var c in senders.Concat(watchers)) await c.DisposeAsync();
        }
    }
}
