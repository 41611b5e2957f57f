using System.Net;
using Grove.Testing;

namespace Grove.Server.Tests.Store;

/// <summary>
/// The first room change after PostgreSQL went away is applied and announced before any commit has failed (nothing
/// has said the store is down yet); its commit then fails. It must still reach the store once PostgreSQL is back,
/// or the announced topic is gone after the next start.
/// </summary>
public sealed class PostgresFirstChangeTests
{
    [Fact]
    public async Task A_topic_changed_while_postgres_is_away_is_refused_not_announced_and_the_stored_topic_stays_the_announced_one()
    {
        using var pg = new PostgresServer();
        var database = pg.NewDatabase();
        await using var server = await TestServer.StartAsync(o => { o.Store = "postgres"; o.Postgres = database; o.NodeName = "a"; });
        using var http = new HttpClient();
        await using var alice = await server.JoinAsync("alice");
        await alice.SendAsync("/topic before");
        await alice.ExpectAsync("^\\* alice set the topic of #lobby to: before$");
        await alice.LinesUntilBarrierAsync();

        pg.Stop();
        // A node of a cluster logs a change before anyone sees it: with PostgreSQL away it is refused, never announced.
        await alice.SendAsync("/topic first change after the stop");
        await alice.ExpectAsync("^! The server cannot store messages right now");
        await alice.SendAsync("a line that finds the store down");
        await alice.ExpectAsync("^! The server cannot store messages right now");

        pg.Start();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((await http.GetAsync(new Uri(server.HttpUri, "/healthz"))).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15), "/healthz stayed 503 after PostgreSQL came back");
            await Task.Delay(50);
        }
        await alice.SendAsync("a line once it is back");
        await alice.LinesUntilBarrierAsync();

        await using var c = new Npgsql.NpgsqlConnection(database);
        await c.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT topic FROM rooms WHERE key = '#lobby'", c);
        Assert.Equal("before", (string?)await cmd.ExecuteScalarAsync());
        await alice.SendAsync("/topic after it is back");
        await alice.ExpectAsync("^\\* alice set the topic of #lobby to: after it is back$");
        await alice.LinesUntilBarrierAsync();
        // A node writes a block's changes to the tables just after delivering it (within a few tens of ms).
        var written = System.Diagnostics.Stopwatch.StartNew();
        while ((string?)await cmd.ExecuteScalarAsync() != "after it is back")
        {
            Assert.True(written.Elapsed < TimeSpan.FromSeconds(5), "the announced topic did not reach the rooms table within 5 s");
            await Task.Delay(20);
        }
    }
}
