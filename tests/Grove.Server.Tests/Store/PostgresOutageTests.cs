using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grove.Testing;

namespace Grove.Server.Tests.Store;

/// <summary>PostgreSQL stopped and started under a server during a message stream (issue 24), on a PostgreSQL of its own.</summary>
public sealed class PostgresOutageTests
{
    private const string Refusal = "! The server cannot store messages right now; try again in a moment.";

    [Fact]
    public async Task While_postgres_is_down_messages_are_refused_clearly_then_it_recovers_by_itself_and_nothing_acknowledged_is_lost()
    {
        using var pg = new PostgresServer();
        var database = pg.NewDatabase();
        await using var server = await TestServer.StartAsync(o => { o.Store = "postgres"; o.Postgres = database; o.NodeName = "a"; });
        using var http = new HttpClient();
        var health = new Uri(server.HttpUri, "/healthz");
        await using var alice = await server.JoinAsync("alice");
        await using var bob = await server.JoinAsync("bob");
        await using var carol = await server.IrcAsync("carol");
        await carol.SendAsync("JOIN #lobby");
        await carol.IrcBarrierAsync();

        // A stream: alice sends a numbered line every few milliseconds until told to stop.
        var sent = 0;
        using var stop = new CancellationTokenSource();
        var stream = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await alice.SendAsync($"m{++sent}");
                await Task.Delay(5);
            }
        });
        await bob.ExpectAsync("^alice: m20$");

        pg.Stop();
        await alice.ExpectAsync("^" + Escape(Refusal) + "$");
        await stop.CancelAsync();
        await stream;
        await alice.LinesUntilBarrierAsync(); // the stream's refusals, so that the next ones are the state changes'
        var answer = await http.GetAsync(health);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        // The last failed write says why: PostgreSQL gone, or still shutting down when it was tried.
        Assert.Matches("^(Cannot reach PostgreSQL \\(database |PostgreSQL \\(database .*\\) is shutting down)",
            (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("store").GetString());
        Assert.Contains("The store failed to save messages", await File.ReadAllTextAsync(server.LogFile));
        var api = await http.GetAsync(new Uri(server.HttpUri, "api/rooms/lobby/messages"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
        Assert.StartsWith("History cannot be read right now: Cannot reach PostgreSQL", (await api.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        // State changes are refused too: announced but not kept, they would be gone after a restart.
        await alice.SendAsync("/topic set during the outage");
        await alice.ExpectAsync("^" + Escape(Refusal) + "$");
        await alice.SendAsync("/register correct horse");
        await alice.ExpectAsync("^" + Escape(Refusal) + "$");
        await carol.SendAsync("TOPIC #lobby :from irc during the outage");
        await carol.ExpectAsync("NOTICE carol :The server cannot store messages right now; try again in a moment\\.$");
        await alice.SendAsync("/topic");
        await alice.ExpectAsync("^\\* No topic is set for #lobby|^\\* #lobby has no topic");

        // Nobody sends anything: the server tries PostgreSQL on its own and turns healthy when it is back.
        pg.Start();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((await http.GetAsync(health)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15), "/healthz stayed 503 after PostgreSQL came back");
            await Task.Delay(50);
        }
        Assert.Contains("The store works again", await File.ReadAllTextAsync(server.LogFile));
        // Delivered again, to the same connections.
        for (var i = 0; i < 5; i++) await alice.SendAsync($"m{++sent}");
        await bob.ExpectAsync($"^alice: m{sent}$");
        await carol.ExpectAsync($"PRIVMSG #lobby :m{sent}$");

        var aliceLines = await alice.LinesUntilBarrierAsync();
        var bobLines = bob.Seen.Concat(await bob.LinesUntilBarrierAsync()).Where(l => l.StartsWith("alice: m", StringComparison.Ordinal)).Distinct().ToList();
        var refused = alice.Seen.Count(l => l == Refusal) - 2; // the topic and the registration
        var delivered = bobLines.Select(l => int.Parse(l["alice: m".Length..])).ToHashSet();
        Assert.True(refused > 0);
        // Every line was either delivered or refused to its sender, never both and never neither.
        Assert.Equal(sent, delivered.Count + refused);
        // Everything anyone received is in PostgreSQL, in order (written to the tables just after it was delivered).
        using var c = new Npgsql.NpgsqlConnection(database);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand("SELECT text FROM messages WHERE room = '#lobby' ORDER BY id", c);
        var stored = new List<int>();
        var written = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            stored.Clear();
            using (var r = cmd.ExecuteReader())
                while (r.Read()) stored.Add(int.Parse(r.GetString(0)[1..]));
            if (!delivered.Except(stored).Any() || written.Elapsed > TimeSpan.FromSeconds(5)) break;
            await Task.Delay(20);
        }
        Assert.Empty(delivered.Except(stored));
        Assert.Equal(stored.Order(), stored);
        Assert.DoesNotContain(aliceLines, l => l.StartsWith("alice: m", StringComparison.Ordinal));

        // A restart between two messages, unnoticed by the server: the first commit finds its connection cut and is
        // made again on a new one instead of being refused.
        pg.Stop();
        pg.Start();
        await alice.SendAsync("after a quick restart");
        await bob.ExpectAsync("^alice: after a quick restart$");
        Assert.DoesNotContain(Refusal, await alice.LinesUntilBarrierAsync());
    }

    private static string Escape(string s) => System.Text.RegularExpressions.Regex.Escape(s);
}
