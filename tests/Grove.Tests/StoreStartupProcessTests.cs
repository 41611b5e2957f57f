using Grove.Core.Events;
using Grove.Core.History;
using Grove.Server.Store.Sqlite;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>What `grove serve` checks about its data folder before it starts: the folder's lock and the database.</summary>
public sealed class StoreStartupProcessTests
{
    private static string[] ServeArgs(TempFolder folder, string log) =>
        ["serve", "--port", "0", "--irc-port", "0", "--http-port", "0", "--data", Path.Combine(folder.Path, "data"), "--log-file", Path.Combine(folder.Path, log)];

    [Fact]
    public async Task A_second_server_on_the_same_data_folder_refuses_to_start_with_one_sentence()
    {
        // Issue 20, item 5: "The second server must refuse to start with one sentence (a lock on the data folder), as
        // it already does for a port in use."
        using var folder = new TempFolder();
        await using var first = await GroveProcess.ServeAsync(folder);
        await using (var second = GroveProcess.Start(ServeArgs(folder, "second_log.txt"), folder.Path))
        {
            Assert.NotEqual(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            var lines = second.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var line = Assert.Single(lines);
            Assert.Equal($"grove: Another Grove server is already using the data folder {Path.Combine(folder.Path, "data")}: stop it, or choose another folder with --data.", line);
            Assert.DoesNotContain("listens on", second.StdOut);
        }
        // The first one is untouched, and once it stops the folder is free.
        await using (var alice = await LineClient.JoinAsync(await first.PlainEndPointAsync(), "alice"))
        {
            await alice.SendAsync("still here");
            await alice.LinesUntilBarrierAsync();
        }
        first.Signal("TERM");
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        await using var third = GroveProcess.Start(ServeArgs(folder, "third_log.txt"), folder.Path);
        await third.PlainEndPointAsync();
    }

    [Fact]
    public async Task A_damaged_database_refuses_the_start_naming_the_file_and_the_recovery_and_repair_starts_anyway()
    {
        // Issue 20, item 14: "Run PRAGMA quick_check at start; on damage, refuse to start with a sentence naming the
        // file and the recovery steps (sqlite3 grove.db .recover), unless --repair is given."
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        var db = StoreOf3000Messages(data);
        // Pages in the middle overwritten, as a bad disk or a stray write would.
        Assert.True(new FileInfo(db).Length > 100 * 4096);
        Overwrite(db, new FileInfo(db).Length / 2 / 4096 * 4096, pages: 8, seed: 20);

        await using (var refused = GroveProcess.Start(ServeArgs(folder, "log1.txt"), folder.Path))
        {
            Assert.NotEqual(0, await refused.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            var line = Assert.Single(refused.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.StartsWith($"grove: The database {db} is damaged (", line);
            Assert.Contains($"run in {data}: sqlite3 grove.db .recover | sqlite3 recovered.db && mv grove.db grove.db.damaged && mv recovered.db grove.db", line);
            Assert.Contains("--repair", line);
            Assert.DoesNotContain("listens on", refused.StdOut);
        }

        await using var repaired = GroveProcess.Start([.. ServeArgs(folder, "log2.txt"), "--repair"], folder.Path);
        await repaired.PlainEndPointAsync();
        Assert.Contains("is damaged and runs as it is (--repair)", repaired.StdOut);
        await using var alice = await LineClient.JoinAsync(await repaired.PlainEndPointAsync(), "alice");
        await alice.SendAsync("new message on a damaged database");
        await alice.LinesUntilBarrierAsync();
        repaired.Signal("TERM");
        Assert.Equal(0, await repaired.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }
    [Fact]
    public async Task Repair_on_damage_where_the_start_reads_refuses_with_one_sentence_instead_of_crashing()
    {
        // The newest pages hold what every start reads (the last id, each room's recent history): --repair crashed
        // there with "Unhandled exception … database disk image is malformed" and SIGABRT.
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        var db = StoreOf3000Messages(data);
        Overwrite(db, new FileInfo(db).Length - 16 * 4096, pages: 16, seed: 21);

        await using var refused = GroveProcess.Start([.. ServeArgs(folder, "log.txt"), "--repair"], folder.Path);
        Assert.Equal(1, await refused.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var line = Assert.Single(refused.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"grove: The database {db} is damaged where the server reads it at start (", line);
        Assert.Contains($"run in {data}: sqlite3 grove.db .recover | sqlite3 recovered.db", line);
        Assert.DoesNotContain("listens on", refused.StdOut);
    }

    /// <summary>A store of 3,000 messages in #lobby, closed again; returns the database file's path.</summary>
    private static string StoreOf3000Messages(string data)
    {
        using var store = new SqliteMessageStore(data);
        store.Open();
        var now = DateTimeOffset.UtcNow;
        var messages = Enumerable.Range(1, 3000)
            .Select(i => new StoredMessage(i, now, "#lobby", "alice", null, $"message {i} " + new string('x', 200), MessageKind.Normal)).ToList();
        store.Commit(messages, [new StoredRoom("#lobby", null, null, null)]);
        return Path.Combine(data, SqliteMessageStore.FileName);
    }

    /// <summary>Pages overwritten with random bytes, as a bad disk or a stray write would.</summary>
    private static void Overwrite(string db, long position, int pages, int seed)
    {
        using var f = new FileStream(db, FileMode.Open);
        f.Position = position;
        var junk = new byte[pages * 4096];
        new Random(seed).NextBytes(junk);
        f.Write(junk);
    }
}
