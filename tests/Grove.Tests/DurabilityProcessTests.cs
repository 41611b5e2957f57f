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

public sealed class DurabilityUnderLoadProcessTests
{
    [Fact]
    public async Task Sigkill_in_the_middle_of_traffic_loses_nothing_any_reader_received()
    {
        using var folder = new TempFolder();
        var received = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        await using (var p = await GroveProcess.ServeAsync(folder))
        {
            var ep = await p.PlainEndPointAsync();
            var readers = new List<LineClient>();
            for (var i = 0; i < 4; i++) readers.Add(await LineClient.JoinAsync(ep, $"reader{i}"));
            var senders = new List<LineClient>();
            for (var i = 0; i < 3; i++) senders.Add(await LineClient.JoinAsync(ep, $"sender{i}"));
            using var stop = new CancellationTokenSource();
            var sending = senders.Select((s, i) => Task.Run(async () =>
            {
                try
                {
                    for (var k = 0; !stop.IsCancellationRequested; k++) await s.SendAsync($"load {i} {k}");
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                    // the server was killed under us: expected
                }
            })).ToList();
            var reading = readers.Select(r => Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var line = await r.NextLineAsync(TimeSpan.FromSeconds(20));
                        var at = line.IndexOf(": load ", StringComparison.Ordinal);
                        if (at > 0) received[line[(at + 2)..]] = 0;
                    }
                }
                catch (IOException)
                {
                    // closed by the kill
                }
            })).ToList();
            // Kill while messages are flowing: once a good number has been delivered (a loaded machine may take a while).
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (received.Count < 1500 && DateTime.UtcNow < deadline) await Task.Delay(20);
            p.Signal("KILL");
            await p.WaitForExitAsync(TimeSpan.FromSeconds(10));
            stop.Cancel();
            await Task.WhenAll(reading);
            await Task.WhenAll(sending);
            foreach (var c in readers.Concat(senders)) await c.DisposeAsync();
        }
        Assert.True(received.Count >= 1500, $"only {received.Count} deliveries before the kill");

        // Every message any reader received is in the database the killed server left behind.
        var stored = new HashSet<string>();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(folder.Path, "data", "grove.db")};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT text FROM messages";
            using var r = cmd.ExecuteReader();
            while (r.Read()) stored.Add(r.GetString(0));
        }
        var missing = received.Keys.Where(k => !stored.Contains(k)).Take(5).ToList();
        Assert.True(missing.Count == 0, $"received but not stored: {string.Join(", ", missing)} ({received.Count} received, {stored.Count} stored)");
    }
}
