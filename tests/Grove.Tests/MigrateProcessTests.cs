using Grove.Testing;

namespace Grove.Tests;

/// <summary>`grove migrate --from DATA_FOLDER --to "Host=…"` as a person runs it (issue 24).</summary>
public sealed class MigrateProcessTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Migrate_copies_history_accounts_and_rooms_into_postgres_and_refuses_a_target_that_is_not_empty()
    {
        using var folder = new TempFolder();
        await using (var sqlite = await TestServer.StartAsync(null, folder))
        {
            await using var alice = await sqlite.RegisteredAsync("alice", "correct horse");
            await using var bob = await sqlite.RegisteredAsync("bob", "battery staple");
            await alice.SendAsync("/join #garden");
            await alice.SendAsync("/room register");
            await alice.ExpectAsync("^\\* #garden is registered");
            await alice.SendAsync("/topic Tomatoes and basil");
            await alice.SendAsync("first planting 🌱");
            await alice.SendAsync("/msg bob between us");
            await bob.ExpectAsync("^\\[private\\] alice: between us$");
            await alice.LinesUntilBarrierAsync();
        }
        var database = SharedPostgres.NewDatabase();
        var data = Path.Combine(folder.Path, "data");

        await using (var migrate = GroveProcess.Start(["migrate", "--from", data, "--to", database], folder.Path))
        {
            var code = await migrate.WaitForExitAsync(ExitTimeout);
            Assert.True(code == 0, $"exit {code}: {migrate.StdErr}");
            Assert.Matches("^Copied 2 messages, 2 rooms, 2 accounts, 1 registered room, \\d+ audit entries, 0 web session tokens, 0 server bans into PostgreSQL in [0-9.]+ s\\.\n",
                migrate.StdOut.Replace("\r", ""));
            Assert.Equal("", migrate.StdErr);
        }

        await using (var pg = await TestServer.StartAsync(o => { o.Store = "postgres"; o.Postgres = database; o.NodeName = "a"; }))
        {
            await using var alice = await pg.LoggedInAsync("alice", "correct horse");
            await alice.SendAsync("/join #garden");
            await alice.ExpectAsync("^\\* Topic of #garden: Tomatoes and basil$");
            await alice.ExpectAsync("^\\[history \\d\\d:\\d\\d\\] alice: first planting 🌱$");
            await alice.SendAsync("/history bob");
            Assert.Matches("\\[private alice to bob\\] between us$", await alice.ExpectAsync("^\\[history"));
            // The registered room is still hers: she is its operator again.
            await alice.SendAsync("/mode #garden +m");
            await alice.ExpectAsync("^\\* alice sets mode \\+m on #garden$");
            await using var bob = await pg.LoggedInAsync("bob", "battery staple");
        }

        await using var again = GroveProcess.Start(["migrate", "--from", data, "--to", database], folder.Path);
        Assert.Equal(1, await again.WaitForExitAsync(ExitTimeout));
        Assert.Matches("^grove migrate: The PostgreSQL database \\S+ on 127\\.0\\.0\\.1:\\d+ is not empty \\(2 in messages, 2 in rooms, 2 in accounts, 1 in room_settings, \\d+ in audit\\): " +
            "grove migrate copies only into a new database\\. Create one \\(createdb\\) and give it with --to\\. Nothing was copied\\.\n$", again.StdErr.Replace("\r", ""));

        // A cluster of two nodes on the migrated database: each serves the history, the accounts log in on either,
        // and the two people talk across the nodes.
        await using var cluster = await ClusterHarness.StartAsync(2, new() { Database = database });
        await using var alice2 = await cluster[0].LoggedInAsync("alice", "correct horse");
        await using var bob2 = await cluster[1].LoggedInAsync("bob", "battery staple");
        for (var n = 0; n < 2; n++)
            Assert.Contains(await cluster[n].RoomHistoryAsync("#garden"), m => m is { From: "alice", Text: "first planting 🌱" });
        await bob2.SendAsync("/join #garden");
        await bob2.ExpectAsync("^\\[history \\d\\d:\\d\\d\\] alice: first planting 🌱$");
        await bob2.SendAsync("/history alice");
        Assert.Matches("\\[private alice to bob\\] between us$", await bob2.ExpectAsync("^\\[history"));
        await alice2.SendAsync("/msg bob across the nodes");
        await bob2.ExpectAsync("^\\[private\\] alice: across the nodes$");
    }
}
