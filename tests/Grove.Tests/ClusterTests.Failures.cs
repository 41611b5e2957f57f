using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Grove.Testing;
using static Grove.Testing.WebPerson;

namespace Grove.Tests;

public sealed partial class ClusterTests
{
    // --node-lost-after for the kill test, and how long past it the others may take to say so on a loaded machine.
    private const double LostAfter = 3;
    private static readonly TimeSpan LostBound = TimeSpan.FromSeconds(LostAfter + 9);

    // "Within the bound" is a wall-clock promise: checked in the "Quiet" phase (scripts/test.sh), with the machine to itself.
    [Fact]
    [Trait("Phase", "Quiet")]
    public async Task A_node_killed_during_a_stream_is_declared_lost_within_the_bound_and_everything_anyone_received_is_in_history()
    {
        await using var cluster = await ClusterHarness.StartAsync(3, new() { NodeLostAfter = LostAfter });
        // On node A: the sender and someone on each door.
        await using var sam = await cluster[0].JoinAsync("sam");
        await using var ian = await cluster[0].IrcAsync("ian");
        await ian.SendAsync("JOIN #lobby");
        await sam.ExpectAsync("^\\* ian joined #lobby");
        await using var wyn = await cluster[0].WebAsync("wyn");
        await sam.ExpectAsync("^\\* wyn joined #lobby");
        // The receivers, on nodes B and C.
        await using var bea = await cluster[1].JoinAsync("bea");
        await sam.ExpectAsync("^\\* bea joined #lobby");
        await using var carl = await cluster[2].IrcAsync("carl");
        await carl.SendAsync("JOIN #lobby");
        Assert.Matches(" 353 carl [=*@] #lobby :(?=.*\\bsam\\b)(?=.*\\bian\\b)(?=.*\\bwyn\\b)(?=.*\\bbea\\b)", await carl.ExpectAsync(" 353 carl "));
        await bea.ExpectAsync("^\\* carl joined #lobby");

        await using var sender = new Sender(n => sam.SendAsync($"m{n}"));
        await bea.ExpectAsync("^sam: m30$");
        await carl.ExpectAsync(":sam!\\S+ PRIVMSG #lobby :m30$");
        var killed = Stopwatch.StartNew();
        await cluster.KillAsync(0);

        // The others see its people leave, each on its door's quit line with the reason "node lost".
        var (bound, wait) = (LostBound, LostBound + TimeSpan.FromSeconds(20));
        await Task.WhenAll(
            ExpectAllAsync(bea, wait, "^\\* sam left \\(node lost\\)$", "^\\* ian left \\(node lost\\)$", "^\\* wyn left \\(node lost\\)$"),
            ExpectAllAsync(carl, wait, ":sam!\\S+ QUIT :node lost$", ":ian!\\S+ QUIT :node lost$", ":wyn!\\S+ QUIT :node lost$"));
        var took = killed.Elapsed;
        Assert.True(took < bound, $"the others saw node A's people leave {took.TotalSeconds:0.0} s after kill -9, past {bound.TotalSeconds} s (--node-lost-after {LostAfter})");
        await sender.StopAsync();

        // Every line a receiver got, in order and without a gap, is in history on every node left, in that order:
        // a message A committed is in the one log, which every node delivers whole before A's people leave.
        var beaGot = Numbers(bea.Seen.Select(l => l.StartsWith("sam: ", StringComparison.Ordinal) ? l[5..] : ""), "m");
        var carlGot = Numbers(carl.Seen.Select(l => IrcSaid(l, "#lobby") is { } s && s.StartsWith("sam: ", StringComparison.Ordinal) ? s[5..] : ""), "m");
        AssertFromOneWithoutGaps(beaGot, "bea");
        AssertFromOneWithoutGaps(carlGot, "carl");
        Assert.Equal(beaGot, carlGot);
        var onB = await cluster[1].RoomHistoryAsync("#lobby");
        Assert.Equal(onB, await cluster[2].RoomHistoryAsync("#lobby"));
        Assert.Equal(beaGot, Numbers(onB.Where(m => m.From == "sam").Select(m => m.Text), "m"));

        // They are gone from the lists, their names are free again, and the nodes left carry on.
        await bea.SendAsync("/who");
        Assert.DoesNotMatch("\\b(sam|ian|wyn)\\b", await bea.ExpectAsync("^\\* Online \\("));
        await using var sam2 = await cluster[1].JoinAsync("sam");
        await bea.SendAsync("still here");
        await carl.ExpectAsync(":bea!\\S+ PRIVMSG #lobby :still here$");
    }

    [Fact]
    public async Task Postgres_stopped_and_started_during_traffic_gets_clear_refusals_then_recovers_without_reconnecting_and_loses_nothing_acknowledged()
    {
        await using var cluster = await ClusterHarness.StartAsync(3, new() { OwnPostgres = true });
        await using var pia = await cluster[0].JoinAsync("pia");
        await using var ivy = await cluster[1].IrcWithCapsAsync("ivy", "echo-message server-time message-tags");
        await ivy.SendAsync("JOIN #lobby");
        await pia.ExpectAsync("^\\* ivy joined #lobby");
        await using var wes = await cluster[2].WebAsync("wes");
        await pia.ExpectAsync("^\\* wes joined #lobby");
        await ivy.ExpectAsync(":wes!\\S+ JOIN :?#lobby");
        await using var tom = await cluster[2].JoinAsync("tom");
        await pia.ExpectAsync("^\\* tom joined #lobby");

        // Three senders, one per node and door, each numbering its lines.
        var streams = new[]
        {
            new Sender(n => pia.SendAsync($"p{n}"), 10),
            new Sender(n => ivy.SendAsync($"PRIVMSG #lobby :i{n}"), 10),
            new Sender(n => wes.SendAsync(new { type = "say", room = "#lobby", text = $"w{n}" }), 10),
        };
        var sent = new int[3];
        try
        {
            await ExpectAllAsync(pia, TimeSpan.FromSeconds(30), "^ivy: i10$", "^wes: w10$");
            cluster.StopPostgres();

            // Each sender is told, in its door's words; every node's /healthz names PostgreSQL.
            await pia.ExpectAsync("^" + Regex.Escape(Refusal) + "$");
            await ivy.ExpectAsync("NOTICE ivy :The server cannot store messages right now; try again in a moment\\.$");
            await wes.ExpectAsync(m => Type(m) == "error" && Field(m, "code") == "store_unavailable", "a store_unavailable error");
            // A state change is refused as well: announced but not kept, it would be gone after a restart.
            await tom.SendAsync("/topic set during the outage");
            await tom.ExpectAsync("^" + Regex.Escape(Refusal) + "$");
            for (var n = 0; n < 3; n++)
            {
                await cluster[n].WaitForHealthAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
                Assert.Contains("PostgreSQL", (await cluster[n].HealthAsync()).Store);
            }

            // Back: every node finds out by itself, while the senders go on.
            cluster.StartPostgres();
            for (var n = 0; n < 3; n++) await cluster[n].WaitForHealthAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(20));
            for (var i = 0; i < 3; i++) sent[i] = await streams[i].StopAsync();
        }
        finally
        {
            foreach (var s in streams) await s.DisposeAsync();
        }

        // Messages flow again on the same connections: each sender's last line reaches the two others (and, with an
        // echo, itself), after every line it sent before.
        await pia.SendAsync("p-final");
        await ivy.SendAsync("PRIVMSG #lobby :i-final");
        await wes.SendAsync(new { type = "say", room = "#lobby", text = "w-final" });
        await ExpectAllAsync(pia, TimeSpan.FromSeconds(30), "^ivy: i-final$", "^wes: w-final$");
        await ExpectAllAsync(ivy, TimeSpan.FromSeconds(30), ":pia!\\S+ PRIVMSG #lobby :p-final$", ":ivy!\\S+ PRIVMSG #lobby :i-final$", ":wes!\\S+ PRIVMSG #lobby :w-final$");
        var finals = new HashSet<string>();
        while (finals.Count < 3)
            finals.Add(Field(await wes.ExpectAsync(m => Type(m) == "message" && Field(m, "text")!.EndsWith("-final", StringComparison.Ordinal), "the finals"), "text")!);
        await pia.LinesUntilBarrierAsync();
        await ivy.IrcBarrierAsync();
        await tom.SendAsync("/topic");
        await tom.ExpectAsync("^\\* #lobby has no topic\\.");
        Assert.DoesNotContain(pia.Seen, l => l.EndsWith("(node lost)", StringComparison.Ordinal));

        // Acknowledged: IRC's and the web's echo; for the plain door (no echo), what the others received. Every line
        // was either that or refused to its sender, never both, never neither.
        var ivyLines = ivy.Seen.Select(l => IrcSaid(l, "#lobby")).OfType<string>().ToList();
        var webMessages = wes.Received.Where(m => Type(m) == "message" && Field(m, "room") == "#lobby").ToList();
        var piaDelivered = Numbers(ivyLines.Where(l => l.StartsWith("pia: ", StringComparison.Ordinal)).Select(l => l[5..]), "p");
        var ivyAcked = Numbers(ivyLines.Where(l => l.StartsWith("ivy: ", StringComparison.Ordinal)).Select(l => l[5..]), "i");
        var wesAcked = Numbers(webMessages.Where(m => Field(m, "from") == "wes").Select(m => Field(m, "text")!), "w");
        Assert.Equal(piaDelivered, Numbers(webMessages.Where(m => Field(m, "from") == "pia").Select(m => Field(m, "text")!), "p"));
        Assert.Equal(sent[0], piaDelivered.Count + pia.Seen.Count(l => l == Refusal));
        Assert.Equal(sent[1], ivyAcked.Count + ivy.Seen.Count(l => l.EndsWith(" :The server cannot store messages right now; try again in a moment.", StringComparison.Ordinal)));
        Assert.Equal(sent[2], wesAcked.Count + wes.Received.Count(m => Type(m) == "error" && Field(m, "code") == "store_unavailable"));

        // Nothing acknowledged is lost: all of it is in history on every node, which is one order everywhere.
        var history = await cluster[0].RoomHistoryAsync("#lobby");
        for (var n = 1; n < 3; n++) Assert.Equal(history, await cluster[n].RoomHistoryAsync("#lobby"));
        foreach (var (who, prefix, acked) in new[] { ("pia", "p", piaDelivered), ("ivy", "i", ivyAcked), ("wes", "w", wesAcked) })
        {
            var stored = Numbers(history.Where(m => m.From == who).Select(m => m.Text), prefix);
            Assert.Empty(acked.Except(stored));
            Assert.Equal(stored.Order(), stored);
        }
    }

    [Fact]
    public async Task Sigterm_of_a_node_during_traffic_tells_its_people_it_is_restarting_and_the_other_nodes_carry_on()
    {
        await using var cluster = await ClusterHarness.StartAsync(3);
        // On node A, someone on each door.
        await using var pat = await cluster[0].JoinAsync("pat");
        await using var ira = await cluster[0].IrcAsync("ira");
        await ira.SendAsync("JOIN #lobby");
        await pat.ExpectAsync("^\\* ira joined #lobby");
        await using var wyn = await cluster[0].WebAsync("wyn");
        await pat.ExpectAsync("^\\* wyn joined #lobby");
        await using var bo = await cluster[1].JoinAsync("bo");
        await pat.ExpectAsync("^\\* bo joined #lobby");
        await using var cy = await cluster[2].IrcAsync("cy");
        await cy.SendAsync("JOIN #lobby");
        await bo.ExpectAsync("^\\* cy joined #lobby");

        await using var sender = new Sender(n => bo.SendAsync($"b{n}"), 10);
        await pat.ExpectAsync("^bo: b5$");
        await cy.ExpectAsync(":bo!\\S+ PRIVMSG #lobby :b5$");
        var exit = cluster.TerminateAsync(0);

        // Its people are told and closed.
        Assert.Contains(NodeRestarting, await pat.ReadUntilClosedAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains(await ira.ReadUntilClosedAsync(TimeSpan.FromSeconds(15)), l => l.Contains(NodeRestarting[2..], StringComparison.Ordinal));
        await wyn.ExpectAsync(m => Field(m, "text")?.Contains(NodeRestarting[2..], StringComparison.Ordinal) == true, "the restart notice");
        Assert.Equal(0, await exit);
        await wyn.WaitClosedAsync(TimeSpan.FromSeconds(15));

        // The others see them leave as "node restarting", and still talk to each other.
        await ExpectAllAsync(bo, TimeSpan.FromSeconds(30), "^\\* pat left \\(node restarting\\)$", "^\\* ira left \\(node restarting\\)$", "^\\* wyn left \\(node restarting\\)$");
        await ExpectAllAsync(cy, TimeSpan.FromSeconds(30), ":pat!\\S+ QUIT :node restarting$", ":ira!\\S+ QUIT :node restarting$", ":wyn!\\S+ QUIT :node restarting$");
        var sent = await sender.StopAsync();
        await bo.SendAsync("after the restart");
        await cy.ExpectAsync(":bo!\\S+ PRIVMSG #lobby :after the restart$");
        var cyGot = Numbers(cy.Seen.Select(l => IrcSaid(l, "#lobby") is { } s && s.StartsWith("bo: ", StringComparison.Ordinal) ? s[4..] : ""), "b");
        AssertFromOneWithoutGaps(cyGot, "cy");
        Assert.Equal(sent, cyGot.Count);
    }
}
