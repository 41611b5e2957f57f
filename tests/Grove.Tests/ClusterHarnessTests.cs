using System.Net;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>
/// The cluster harness itself, on one node (which needs no cluster): a ClusterTests failure then points at the
/// cluster, not at its harness.
/// </summary>
public sealed class ClusterHarnessTests
{
    [Fact]
    public async Task One_node_starts_on_its_own_postgres_is_killed_started_again_survives_an_outage_and_exits_0_on_sigterm()
    {
        await using var cluster = await ClusterHarness.StartAsync(1, new() { OwnPostgres = true });
        var node = cluster[0];
        Assert.Equal("n0", node.Name);
        await node.Process.ExpectOutputAsync("data in PostgreSQL \\(database grove_\\w+ on 127\\.0\\.0\\.1:\\d+\\)");

        // Every door answers: plain, IRC, the web's WebSocket and its API.
        await using (var ann = await node.JoinAsync("ann"))
        await using (var ivo = await node.IrcAsync("ivo"))
        await using (var wes = await node.WebAsync("wes"))
        {
            await ivo.SendAsync("JOIN #lobby");
            await ann.ExpectAsync("^\\* ivo joined #lobby");
            await ann.SendAsync("kept");
            await ivo.ExpectAsync(":ann!\\S+ PRIVMSG #lobby :kept$");
            await wes.ExpectAsync(m => WebPerson.Field(m, "text") == "kept", "ann's message");
            var only = Assert.Single(await node.RoomHistoryAsync("#lobby"));
            Assert.Equal(("ann", "kept"), (only.From, only.Text));
        }

        // kill -9, then the same node again, on new ports: the history is still there.
        await cluster.KillAsync(0);
        Assert.Throws<InvalidOperationException>(() => cluster[0]);
        node = await cluster.StartNodeAsync(0);
        Assert.Equal("kept", Assert.Single(await node.RoomHistoryAsync("#lobby")).Text);

        // PostgreSQL stopped: refused and 503; started again: healthy by itself.
        await using var bea = await node.JoinAsync("bea");
        cluster.StopPostgres();
        await bea.SendAsync("during");
        await bea.ExpectAsync("^! The server cannot store messages right now; try again in a moment\\.$");
        await node.WaitForHealthAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
        Assert.Contains("PostgreSQL", (await node.HealthAsync()).Store);
        cluster.StartPostgres();
        await node.WaitForHealthAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(20));
        await bea.SendAsync("after");
        await bea.LinesUntilBarrierAsync();
        Assert.Equal(["kept", "after"], (await node.RoomHistoryAsync("#lobby")).Select(m => m.Text));

        // SIGTERM: the person is told and closed, the process exits 0.
        Assert.Equal(0, await cluster.TerminateAsync(0));
        Assert.NotEmpty(await bea.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Only_a_cluster_with_its_own_postgres_may_stop_it()
    {
        await using var cluster = await ClusterHarness.StartAsync(0);
        Assert.Throws<InvalidOperationException>(cluster.StopPostgres);
    }
}
