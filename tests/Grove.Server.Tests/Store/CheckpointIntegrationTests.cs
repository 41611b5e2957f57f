using Grove.Core.Events;
using Grove.Core.History;
using Grove.Server.Store.Sqlite;
using Grove.Testing;
using Microsoft.Data.Sqlite;

namespace Grove.Server.Tests.Store;

/// <summary>The write-ahead log is copied into the database by a thread of its own, never inside a commit.</summary>
public sealed class CheckpointIntegrationTests
{
    [Fact]
    public void Commits_leave_the_log_to_the_checkpoint_thread_and_the_log_starts_over_once_it_has_caught_up()
    {
        using var folder = new TempFolder();
        var id = 0L;
        using (var store = new SqliteMessageStore(folder.Path))
        {
            store.Open();
            var checkpointer = store.Checkpointer!;
            for (var i = 0; i < 3 * SqliteCheckpointer.CommitsPerCheckpoint; i++) store.Commit([Message(++id)], []);

            Assert.True(checkpointer.WaitForCatchUp(TimeSpan.FromSeconds(10)), "no checkpoint caught up with the commits");
            Assert.Equal(0, checkpointer.ByWriter);
            // The next commit starts the log over: it holds only that commit's pages, not the 192 commits before.
            store.Commit([Message(++id)], []);
            Assert.InRange(LogPages(store.DatabasePath), 1, 20);
        }
        using (var store = new SqliteMessageStore(folder.Path))
        {
            store.Open();
            Assert.Equal(id, store.LastMessageId());
            Assert.Equal(id, store.RoomHistory("#load", long.MaxValue, 1_000).Count);
        }
    }

    [Fact]
    public void However_fast_the_commits_come_the_log_stays_bounded()
    {
        using var folder = new TempFolder();
        using var store = new SqliteMessageStore(folder.Path);
        store.Open();
        // Back to back, with no pause for the checkpoint thread to catch up in: several times the bound in pages.
        var id = 0L;
        var page = new string('x', 3_000); // about one page of log per commit for the table alone
        // The longest the log file gets, looked at after every commit: it is as long as the log has ever been (it is cut
        // back only when it starts over); without a bound it would hold every page written here.
        var longest = 0L;
        var log = new FileInfo(store.DatabasePath + "-wal");
        while (id < 3 * SqliteCheckpointer.MaxLogPages)
        {
            store.Commit([Message(++id, page)], []);
            log.Refresh();
            longest = Math.Max(longest, log.Length);
        }

        // The writer looks at the length after each commit and, past the bound, empties the log before the next one
        // (after the checkpoint thread's, if one is under way); a commit here writes a handful of pages (the row's
        // page, the tree above it, the index, the header): the bound, give or take one commit.
        var pageInLog = 24 + 4096;
        var slack = 16L;
        Assert.InRange(longest, 0, (SqliteCheckpointer.MaxLogPages + slack) * pageInLog);
        Assert.Equal(id, store.LastMessageId());
    }

    [Fact]
    public void Once_the_store_is_closed_the_database_file_alone_holds_every_message()
    {
        // What operations.md says of backups: copy grove.db while the server is stopped.
        using var folder = new TempFolder();
        using var copy = new TempFolder();
        using (var store = new SqliteMessageStore(folder.Path))
        {
            store.Open();
            for (var id = 1; id <= 10; id++) store.Commit([Message(id)], []);
            Assert.Equal(10, store.RoomHistory("#load", long.MaxValue, 100).Count); // a reader has used the journal too
        }
        File.Copy(Path.Combine(folder.Path, SqliteMessageStore.FileName), Path.Combine(copy.Path, SqliteMessageStore.FileName));

        using var restored = new SqliteMessageStore(copy.Path);
        restored.Open();
        Assert.Equal(10, restored.RoomHistory("#load", long.MaxValue, 100).Count);
    }

    private static StoredMessage Message(long id, string text = "hello") =>
        new(id, DateTimeOffset.UnixEpoch.AddSeconds(id), "#load", "alice", null, text, MessageKind.Normal);

    /// <summary>The pages in the log now, read with a passive checkpoint of a connection of the test's own.</summary>
    private static int LogPages(string database)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        c.Open();
        for (var tries = 0; ; tries++)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            using var r = cmd.ExecuteReader();
            r.Read();
            // Busy: the checkpoint thread is at work; ask again.
            if (r.GetInt32(0) == 0 || tries == 1_000) return r.GetInt32(1);
        }
    }
}
