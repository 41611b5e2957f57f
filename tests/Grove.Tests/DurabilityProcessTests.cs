using Grove.Testing;

namespace Grove.Tests;

public sealed class DurabilityProcessTests
{
    [Fact]
    public async Task Sigkill_right_after_delivery_loses_nothing_anyone_received()
    {
        // "Killing the server with SIGKILL loses nothing that anyone received; after a restart, history, rooms and
        // topics are all there."
        using var folder = new TempFolder();
        var received = new List<string>();
        await using (var p = await GroveProcess.ServeAsync(folder))
        {
            var ep = await p.PlainEndPointAsync();
            await using var alice = await LineClient.JoinAsync(ep, "alice");
            await using var bob = await LineClient.JoinAsync(ep, "bob");
            await alice.SendAsync("/join #vault");
            await alice.SendAsync("/topic Kept safe");
            await alice.ExpectAsync("^\\* alice set the topic of #vault to: Kept safe$");
            await bob.SendAsync("/join #vault");
            await bob.ExpectAsync("^\\* You joined #vault");
            for (var i = 0; i < 300; i++) await alice.SendAsync($"msg {i}");
            // Kill the moment the last message arrives: everything bob received must be on disk.
            while (received.Count < 300)
            {
                var line = await bob.NextLineAsync();
                if (line.StartsWith("alice: msg ")) received.Add(line["alice: ".Length..]);
            }
            p.Signal("KILL");
            Assert.NotEqual(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }

        await using var again = await GroveProcess.ServeAsync(folder, "--history-on-join", "500");
        await using var carol = await LineClient.JoinAsync(await again.PlainEndPointAsync(), "carol");
        await carol.SendAsync("/join #vault");
        await carol.ExpectAsync("^\\* Topic of #vault: Kept safe$");
        var replay = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var line = await carol.NextLineAsync();
            Assert.StartsWith("[history ", line);
            replay.Add(line[(line.IndexOf("] alice: ", StringComparison.Ordinal) + "] alice: ".Length)..]);
        }
        Assert.Equal(received, replay);
    }
}
