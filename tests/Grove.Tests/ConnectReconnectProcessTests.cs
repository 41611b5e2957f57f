using Grove.Testing;

namespace Grove.Tests;

/// <summary>`grove connect` in line mode across a server restart: where it goes back to and what it shows again.</summary>
public sealed class ConnectReconnectProcessTests
{
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_reconnect_does_not_go_back_to_a_room_you_were_kicked_from()
    {
        using var folder = new TempFolder();
        var port = TestPorts.Free();
        var first = await TestServer.StartAsync(o => o.Port = port);
        await using (var bob = await first.JoinAsync("bob"))
        {
            await bob.SendAsync("/join #garden"); // the first one in is its operator
            await bob.ExpectAsync("^\\* You joined #garden");
            await using var c = GroveProcess.Start(["connect", $"127.0.0.1:{port}", "--name", "carol"], folder.Path, redirectInput: true);
            await c.ExpectOutputAsync("^\\* Welcome, carol!");
            await c.SendInputAsync("/join #garden");
            await c.ExpectOutputAsync("^\\* You joined #garden");
            await bob.SendAsync("/kick carol enough");
            await c.ExpectOutputAsync("^\\* carol was kicked from #garden by bob");
            await first.DisposeAsync();
            await c.ExpectOutputAsync("^Reconnecting to ");

            await using var second = await TestServer.StartAsync(o => o.Port = port);
            await c.ExpectOutputAsync("^Reconnected as carol\\.$");
            await using var dave = await second.JoinAsync("dave");
            await c.SendInputAsync("still in the lobby");
            await dave.ExpectAsync("^carol: still in the lobby$"); // not sent to #garden
            c.CloseInput();
            Assert.Equal(0, await c.WaitForExitAsync(Exit));
            Assert.DoesNotContain("You joined #garden", c.StdOut.Split("Reconnected as carol.")[1]);
        }
    }

    [Fact]
    public async Task A_reconnect_shows_only_the_history_not_seen_before()
    {
        using var folder = new TempFolder();
        using var data = new TempFolder();
        var port = TestPorts.Free();
        var first = await TestServer.StartAsync(o => o.Port = port, data);
        await using var c = GroveProcess.Start(["connect", $"127.0.0.1:{port}", "--name", "carol"], folder.Path, redirectInput: true);
        await c.ExpectOutputAsync("^\\* Welcome, carol!");
        await using (var bob = await first.JoinAsync("bob"))
        {
            await bob.SendAsync("seen before the restart");
            await c.ExpectOutputAsync("^bob: seen before the restart$");
        }
        await c.SendInputAsync("mine, also seen");
        await c.SendInputAsync("/who");
        await c.ExpectOutputAsync("^\\* Online");
        await first.DisposeAsync();
        await c.ExpectOutputAsync("^Reconnecting to ");

        await using var second = await TestServer.StartAsync(o => o.Port = port, data);
        await using (var erin = await second.JoinAsync("erin"))
            await erin.SendAsync("said while carol was away");
        await c.ExpectOutputAsync("^Reconnected as carol\\.$");
        await c.ExpectOutputAsync("^(\\[history [^]]*\\] )?erin: said while carol was away$"); // history, or live if carol was quicker
        await c.SendInputAsync("/who"); // its answer comes after the whole replay
        await c.ExpectOutputAsync("^\\* Online");
        c.CloseInput();
        Assert.Equal(0, await c.WaitForExitAsync(Exit));
        var lines = c.StdOut.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Single(lines, l => l.EndsWith("bob: seen before the restart", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.EndsWith("carol: mine, also seen", StringComparison.Ordinal));
    }
}
