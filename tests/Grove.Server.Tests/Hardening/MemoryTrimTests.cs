using Grove.Server.Hosting;
using Grove.Testing;

namespace Grove.Server.Tests.Hardening;

public sealed class MemoryTrimTests
{
    [Fact]
    public async Task After_a_surge_of_connections_and_then_a_calm_the_server_gives_memory_back_once_and_says_so()
    {
        await using var server = await TestServer.StartAsync(o => o.MemoryTrimAfter = 60);
        var trimmed = new TaskCompletionSource<TrimReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Host.Trimmer.Trimmed += report => trimmed.TrySetResult(report);

        // 40 people arrive and leave: 80 connections came or went, past the threshold of 60.
        var clients = new List<LineClient>();
        for (var i = 0; i < 40; i++) clients.Add(await server.JoinAsync($"surge{i}"));
        foreach (var c in clients) await c.DisposeAsync();

        var report = await trimmed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(report.Changes >= 60, $"{report.Changes} changes");
        Assert.True(report.BytesAfter > 0 && report.BytesBefore > 0);
        var log = await File.ReadAllTextAsync(server.LogFile);
        Assert.Matches(@"Gave memory back after \d+ connections came or went: \d+ MiB -> \d+ MiB, a \d+ ms pause", log);
    }
}
