using System.Text.Json;
using System.Text.RegularExpressions;
using Grove.Testing;
using static Grove.Testing.WebPerson;

namespace Grove.Tests;

/// <summary>
/// Three real `grove serve` nodes on one real PostgreSQL, on loopback (issue 24, "Done when"): one server on every
/// door, one order on every node, names unique across the cluster, and each failure (kill -9, SIGTERM, PostgreSQL
/// stopped) handled as docs/operations.md says. Helpers are in ClusterTests.Helpers.cs, failures in ClusterTests.Failures.cs.
/// </summary>
public sealed partial class ClusterTests
{
    [Fact]
    public async Task Plain_irc_and_web_people_on_three_nodes_talk_in_one_room_in_one_order_live_and_in_history_on_every_node()
    {
        await using var cluster = await ClusterHarness.StartAsync(3);
        await using var nora = await cluster[0].JoinAsync("nora");
        await nora.SendAsync("/join #garden");
        await nora.ExpectAsync("^\\* You joined #garden");
        await using var ivan = await cluster[1].IrcWithCapsAsync("ivan", HistoryCaps);
        await ivan.SendAsync("JOIN #garden");
        // Node B's NAMES knows the person on node A, and node A tells its people of the one on node B.
        Assert.Matches(" 353 ivan [=*@] #garden :.*\\bnora\\b", await ivan.ExpectAsync(" 353 ivan "));
        await nora.ExpectAsync("^\\* ivan joined #garden");
        await using var wendy = await cluster[2].WebAsync("wendy");
        await wendy.SendAsync(new { type = "join", room = "#garden" });
        var joined = await wendy.ExpectAsync(m => Type(m) == "joined" && Field(m, "room") == "#garden", "joined #garden");
        Assert.Equal(["ivan", "nora", "wendy"], joined.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()).Order());
        await nora.ExpectAsync("^\\* wendy joined #garden");
        await ivan.ExpectAsync(":wendy!\\S+ JOIN :?#garden");

        // All three talk at the same instant, three lines each.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var talk = Task.WhenAll(
            Task.Run(async () => { await go.Task; for (var i = 1; i <= 3; i++) await nora.SendAsync($"plain {i}"); }),
            Task.Run(async () => { await go.Task; for (var i = 1; i <= 3; i++) await ivan.SendAsync($"PRIVMSG #garden :irc {i}"); }),
            Task.Run(async () => { await go.Task; for (var i = 1; i <= 3; i++) await wendy.SendAsync(new { type = "say", room = "#garden", text = $"web {i}" }); }));
        go.SetResult();
        await talk;

        // Live: the plain door echoes nothing to its sender; IRC (echo-message) and the web door do.
        var noraSaw = await CollectAsync(nora, 6, l => Regex.Match(l, "^((?:ivan|wendy): (?:irc|web) \\d)$") is { Success: true } m ? m.Groups[1].Value : null);
        var ivanLines = new List<string>();
        var ivanSaw = await CollectAsync(ivan, 9, l => IrcSaid(l, "#garden") is { } said ? Kept(ivanLines, l, said) : null);
        var wendySaw = new List<ApiMessage>();
        while (wendySaw.Count < 9)
        {
            var m = await wendy.ExpectAsync(m => Type(m) == "message" && Field(m, "room") == "#garden", "a message in #garden");
            wendySaw.Add(new(m.GetProperty("id").GetInt64(), Field(m, "from")!, Field(m, "text")!));
        }

        // History through the JSON API on every node: one order and the same ids everywhere.
        var histories = new List<List<ApiMessage>>();
        for (var n = 0; n < 3; n++) histories.Add(await cluster[n].RoomHistoryAsync("#garden"));
        var order = histories[0];
        Assert.Equal(9, order.Count);
        Assert.All(histories, h => Assert.Equal(order, h));
        var said = order.Select(m => $"{m.From}: {m.Text}").ToList();
        Assert.Equal(order, wendySaw);
        Assert.Equal(said, ivanSaw);
        Assert.Equal(order.Select(m => $"msgid={m.Id}"), ivanLines.Select(l => Regex.Match(l, "msgid=[^; ]+").Value));
        Assert.Equal(said.Where(l => !l.StartsWith("nora: ", StringComparison.Ordinal)), noraSaw);
        // Each sender's lines in the order sent.
        foreach (var who in new[] { "nora", "ivan", "wendy" })
            Assert.Equal(["1", "2", "3"], order.Where(m => m.From == who).Select(m => m.Text[^1..]));

        // History through each door, each on its own node: the plain door's replay on joining, IRC's CHATHISTORY.
        for (var n = 0; n < 3; n++)
        {
            await using var late = await cluster[n].JoinAsync($"late{n}");
            await late.SendAsync("/join #garden");
            var replay = (await late.LinesUntilBarrierAsync())
                .Select(l => Regex.Match(l, "^\\[history [^\\]]+\\] (\\w+: .*)$")).Where(m => m.Success).Select(m => m.Groups[1].Value);
            Assert.Equal(said, replay);
        }
        await ivan.SendAsync("CHATHISTORY LATEST #garden * 50");
        await ivan.ExpectAsync("BATCH \\+\\S+ chathistory #garden$");
        Assert.Equal(said, (await ivan.IrcBarrierAsync()).Select(l => IrcSaid(l, "#garden", inBatch: true)).OfType<string>());
    }

    [Fact]
    public async Task Two_people_taking_the_same_name_on_two_nodes_at_the_same_instant_one_gets_it_the_other_is_asked_again_100_times()
    {
        // A loser waits at the name question for later rounds: longer than the default 30 s allowed for choosing a name
        // if the rounds are slow.
        await using var cluster = await ClusterHarness.StartAsync(3, new() { Extra = ["--registration-timeout", "300"] });
        var people = new List<LineClient>();
        try
        {
            var atPrompt = new LineClient?[3]; // on each node, a connection waiting at the name question
            for (var round = 0; round < 100; round++)
            {
                // Node pairs in turn (0-1, 1-2, 2-0); every other round the second spells the name in capitals.
                var (x, y) = (round % 3, (round + 1) % 3);
                foreach (var n in new[] { x, y })
                {
                    if (atPrompt[n] is not null) continue;
                    var c = await cluster[n].ConnectAsync();
                    people.Add(c);
                    await c.ExpectAsync("^What is your name\\?$");
                    atPrompt[n] = c;
                }
                var name = $"race{round}";
                var (first, second) = (atPrompt[x]!, atPrompt[y]!);
                var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var sends = Task.WhenAll(
                    Task.Run(async () => { await go.Task; await first.SendAsync(name); }),
                    Task.Run(async () => { await go.Task; await second.SendAsync(round % 2 == 0 ? name : name.ToUpperInvariant()); }));
                go.SetResult();
                await sends;
                var won = await Task.WhenAll(TakesNameAsync(first, name), TakesNameAsync(second, name));
                Assert.True(won.Count(w => w) == 1, $"round {round}: {(won.All(w => w) ? "both" : "neither")} got the name {name}");
                if (won[0]) atPrompt[x] = null;
                if (won[1]) atPrompt[y] = null;
            }

            // Every node lists each name once.
            for (var n = 0; n < 3; n++)
            {
                await using var looker = await cluster[n].JoinAsync($"looker{n}");
                await looker.SendAsync("/who");
                var names = (await looker.ExpectAsync("^\\* Online \\(")).Split(": ", 2)[1].Split(", ").Where(s => s.StartsWith("race", StringComparison.OrdinalIgnoreCase)).ToList();
                Assert.Equal(Enumerable.Range(0, 100).Select(i => $"race{i}").Order(), names.Select(s => s.ToLowerInvariant()).Order());
            }
        }
        finally
        {
            foreach (var c in people) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_node_started_again_after_the_others_have_people_and_rooms_knows_them_and_its_people_reach_them()
    {
        await using var cluster = await ClusterHarness.StartAsync(3);
        await using var ann = await cluster[0].JoinAsync("ann");
        await using var bob = await cluster[1].JoinAsync("bob");
        await bob.SendAsync("/join #garden");
        await bob.SendAsync("/topic Tomatoes and basil");
        await bob.ExpectAsync("^\\* bob set the topic of #garden to: Tomatoes and basil$");
        await bob.SendAsync("before the restart");
        await using var cat = await cluster[2].IrcAsync("cat");
        await cat.SendAsync("JOIN #garden");
        await bob.ExpectAsync("^\\* cat joined #garden");
        await ann.SendAsync("/join #garden");
        await bob.ExpectAsync("^\\* ann joined #garden");

        // A rolling restart of node A.
        Assert.Equal(0, await cluster.TerminateAsync(0));
        Assert.Contains(NodeRestarting, await ann.ReadUntilClosedAsync(TimeSpan.FromSeconds(15)));
        await bob.ExpectAsync("^\\* ann left \\(node restarting\\)$");
        var a = await cluster.StartNodeAsync(0);

        // Her name is free on the restarted node too, and it knows the room, its topic, its history and its people.
        await using var ann2 = await a.JoinAsync("ann");
        await ann2.SendAsync("/join #garden");
        var lines = await ann2.LinesUntilBarrierAsync();
        Assert.Contains(lines, l => l.StartsWith("* You joined #garden; ", StringComparison.Ordinal) && l.Contains("bob") && l.Contains("cat"));
        Assert.Contains("* Topic of #garden: Tomatoes and basil", lines);
        Assert.Contains(lines, l => Regex.IsMatch(l, "^\\[history [^\\]]+\\] bob: before the restart$"));
        await ann2.SendAsync("/who");
        var online = await ann2.ExpectAsync("^\\* Online \\(");
        Assert.All(new[] { "ann", "bob", "cat" }, who => Assert.Matches($"[:,] {who}(,|$)", online));
        await using var dot = await a.IrcAsync("dot");
        await dot.SendAsync("JOIN #garden");
        Assert.Matches(" 353 dot [=*@] #garden :(?=.*\\bann\\b)(?=.*\\bbob\\b)(?=.*\\bcat\\b)", await dot.ExpectAsync(" 353 dot "));

        // Its people reach the others, and theirs reach it.
        await ann2.SendAsync("back after the restart");
        await bob.ExpectAsync("^ann: back after the restart$");
        await cat.ExpectAsync(":ann!\\S+ PRIVMSG #garden :back after the restart$");
        await cat.SendAsync("PRIVMSG #garden :welcome back");
        await ann2.ExpectAsync("^cat: welcome back$");
        await dot.ExpectAsync(":cat!\\S+ PRIVMSG #garden :welcome back$");
    }
}
