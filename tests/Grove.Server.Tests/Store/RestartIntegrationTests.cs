using Grove.Testing;

namespace Grove.Server.Tests.Store;

public sealed class RestartIntegrationTests
{
    [Fact]
    public async Task History_rooms_and_topics_survive_a_restart_on_the_same_data_folder()
    {
        using var folder = new TempFolder();
        await using (var first = await TestServer.StartAsync(null, folder))
        {
            // Accounts, so their private conversation is theirs after the restart (a guest's belongs to its connection).
            await using var alice = await first.RegisteredAsync("alice", "correct horse");
            await using var bob = await first.RegisteredAsync("bob", "correct horse");
            await alice.SendAsync("/join #garden");
            // Registered: an unregistered room that empties ends and loses its topic (its history stays).
            await alice.SendAsync("/room register");
            await alice.ExpectAsync("^\\* #garden is registered");
            await alice.SendAsync("/topic Tomatoes and basil");
            await alice.SendAsync("first planting 🌱");
            await alice.SendAsync("/msg bob between us");
            await bob.ExpectAsync("^\\[private\\] alice: between us$");
            await alice.LinesUntilBarrierAsync();
        }

        await using var second = await TestServer.StartAsync(null, folder);
        await using var carol = await second.JoinAsync("carol");
        await carol.SendAsync("/rooms");
        await carol.ExpectAsync("^\\*   #garden \\(0\\): Tomatoes and basil$");
        await carol.SendAsync("/join #GARDEN");
        await carol.ExpectAsync("^\\* Topic of #garden: Tomatoes and basil$");
        Assert.Matches("^\\[history \\d\\d:\\d\\d\\] alice: first planting 🌱$", await carol.NextLineAsync());

        await using var bob2 = await LineClient.ConnectAsync(second.Plain);
        await bob2.ExpectAsync("^What is your name\\?$");
        await bob2.SendAsync("bob");
        await bob2.ExpectAsync("^The name bob is registered\\. Type its password");
        await bob2.SendAsync("correct horse");
        await bob2.ExpectAsync("^\\* Welcome, bob!");
        await bob2.SendAsync("/history alice");
        Assert.Matches("\\[private alice to bob\\] between us$", await bob2.ExpectAsync("^\\[history"));
        // New messages continue the ids after the old ones.
        await carol.SendAsync("second planting");
        await carol.SendAsync("/history 5");
        await carol.ExpectAsync("^\\* No older messages with #garden\\.$");
    }
}
