using Grove.Testing;

namespace Grove.Server.Tests;

public sealed class LoggingIntegrationTests
{
    [Fact]
    public async Task The_log_file_has_connections_with_addresses_disconnections_with_reasons_and_at_debug_every_message()
    {
        // "The server logs connections (with remote address), disconnections (with reason), errors and, at debug
        // level, every message, to the console and to server_log.txt (path configurable)."
        var folder = new TempFolder();
        var logFile = Path.Combine(folder.Path, "logs", "custom.log");
        await using (var server = await TestServer.StartAsync(o => { o.LogLevel = "debug"; o.LogFile = logFile; }, folder))
        {
            await using var alice = await server.JoinAsync("alice");
            await using var bob = await server.JoinAsync("bob");
            await alice.SendAsync("a logged message");
            await bob.ExpectAsync("^alice: a logged message$");
            bob.Reset();
            await alice.ExpectAsync("^\\* bob left");
            await alice.SendAsync("/quit done");
            await alice.ReadUntilClosedAsync();
        }
        var log = await File.ReadAllTextAsync(logFile);
        Assert.Matches("opened on the plain door from 127\\.0\\.0\\.1:\\d+", log);
        Assert.Contains("alice in #lobby: a logged message", log);
        Assert.Matches("\\(bob\\) on the plain door from 127\\.0\\.0\\.1:\\d+ closed: connection lost", log);
        Assert.Contains("(alice) on the plain door from 127.0.0.1", log);
        Assert.Contains("closed: quit", log);
        folder.Dispose();
    }

    [Fact]
    public async Task At_information_level_message_text_is_not_logged()
    {
        using var folder = new TempFolder();
        await using (var server = await TestServer.StartAsync(null, folder))
        {
            await using var alice = await server.JoinAsync("alice");
            await using var bob = await server.JoinAsync("bob");
            await alice.SendAsync("a private thought");
            await bob.ExpectAsync("^alice: a private thought$");
        }
        var log = await File.ReadAllTextAsync(Path.Combine(folder.Path, "server_log.txt"));
        Assert.Contains("is now alice", log);
        Assert.DoesNotContain("a private thought", log);
    }
}
