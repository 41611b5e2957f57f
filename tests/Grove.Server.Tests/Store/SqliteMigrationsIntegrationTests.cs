using Grove.Core.Events;
using Grove.Core.History;
using Grove.Server.Store.Sqlite;
using Grove.Testing;
using Microsoft.Data.Sqlite;

namespace Grove.Server.Tests.Store;

public sealed class SqliteMigrationsIntegrationTests
{
    [Fact]
    public void An_empty_folder_gets_the_current_schema()
    {
        using var folder = new TempFolder();
        using var store = new SqliteMessageStore(Path.Combine(folder.Path, "new"));
        store.Open();
        using var c = new SqliteConnection($"Data Source={store.DatabasePath}");
        c.Open();
        Assert.Equal(SqliteMigrations.CurrentVersion, SqliteMigrations.ReadVersion(c));
        Assert.Equal(0, store.LastMessageId());
    }

    [Fact]
    public void A_database_of_the_previous_schema_is_migrated_and_keeps_its_data()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, SqliteMessageStore.FileName);
        SQLitePCL.Batteries_V2.Init();
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            // The first schema: every later step (private-conversation keys, accounts) runs over old data.
            SqliteMigrations.Apply(c, upTo: 1);
            Assert.Equal(1, SqliteMigrations.ReadVersion(c));
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO rooms (key, name, topic) VALUES ('#old', '#Old', 'from before');
                INSERT INTO messages (id, time, room, sender, recipient, text, kind) VALUES (7, 1000, '#old', 'Ann', NULL, 'hello', 0);
                INSERT INTO messages (id, time, room, sender, recipient, text, kind) VALUES (6, 500, NULL, 'Ann', 'Bo', 'as a guest', 0);
                INSERT INTO messages (id, time, room, sender, recipient, text, kind) VALUES (8, 2000, NULL, 'Ann', 'Bo', 'psst', 0);
                """;
            cmd.ExecuteNonQuery();
            // Ann registered her name between her two messages; Bo never did.
            SqliteMigrations.Apply(c, upTo: 3);
            cmd.CommandText = "INSERT INTO accounts (key, name, password, created_at) VALUES ('ann', 'Ann', 'x', 1000);";
            cmd.ExecuteNonQuery();
        }

        using var store = new SqliteMessageStore(folder.Path);
        store.Open();
        Assert.Equal(8, store.LastMessageId());
        Assert.Equal("from before", Assert.Single(store.LoadRooms()).Topic);
        Assert.Equal("hello", Assert.Single(store.RoomHistory("#old", long.MaxValue, 10)).Text);
        // Only what Ann's account sent after it existed is hers; the guests' messages belong to no one now.
        Assert.Equal("psst", Assert.Single(store.PrivateHistory("bo", "ann", ["a:ann"], long.MaxValue, 10)).Text);
        Assert.Empty(store.PrivateHistory("bo", "ann", ["a:bo"], long.MaxValue, 10));
        store.Commit([new StoredMessage(9, DateTimeOffset.UtcNow, null, "Bo", "Ann", "reply", MessageKind.Normal) { FromOwner = "g:1", ToOwner = "a:ann" }], []);
        Assert.Equal(2, store.PrivateHistory("ann", "bo", ["a:ann"], long.MaxValue, 10).Count);
        Assert.Equal("reply", Assert.Single(store.PrivateHistory("ann", "bo", ["g:1"], long.MaxValue, 10)).Text);
    }

    [Fact]
    public void Older_messages_of_a_registered_room_take_its_gates_and_others_stay_open()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, SqliteMessageStore.FileName);
        SQLitePCL.Batteries_V2.Init();
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            SqliteMigrations.Apply(c, upTo: 4);
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO room_settings (key, name, owner, modes, password, user_limit, bans, mutes, operators, voices, registered_at)
                    VALUES ('#den', '#den', 'ann', 'nti', 'k1', 0, '[]', '[]', '[]', '[]', 0);
                INSERT INTO messages (id, time, room, sender, recipient, text, kind) VALUES (1, 1000, '#den', 'Ann', NULL, 'behind gates', 0);
                INSERT INTO messages (id, time, room, sender, recipient, text, kind) VALUES (2, 1000, '#open', 'Ann', NULL, 'in the open', 0);
                """;
            cmd.ExecuteNonQuery();
        }

        using var store = new SqliteMessageStore(folder.Path);
        store.Open();
        var den = Assert.Single(store.RoomHistory("#den", long.MaxValue, 10, Grove.Core.Rooms.Admission.Everything));
        Assert.Equal(Grove.Core.Rooms.RoomGates.InviteOnly | Grove.Core.Rooms.RoomGates.Keyed, den.Gates);
        Assert.Empty(store.RoomHistory("#den", long.MaxValue, 10));
        Assert.Empty(store.RoomHistory("#den", long.MaxValue, 10, new(Grove.Core.Rooms.RoomGates.InviteOnly, 0, 5)));
        Assert.Single(store.RoomHistory("#den", long.MaxValue, 10, new(Grove.Core.Rooms.RoomGates.All, 0, 5)));
        Assert.Equal("in the open", Assert.Single(store.RoomHistory("#open", long.MaxValue, 10)).Text);
    }

    [Fact]
    public void Sql_metacharacters_are_stored_as_text()
    {
        using var folder = new TempFolder();
        using var store = new SqliteMessageStore(folder.Path);
        store.Open();
        var evil = "'); DROP TABLE messages; -- \" ` \\ %_";
        store.Commit([new StoredMessage(1, DateTimeOffset.UtcNow, "#x", "a", null, evil, MessageKind.Normal)], [new StoredRoom("#x", evil, "a", DateTimeOffset.UtcNow)]);
        Assert.Equal(evil, Assert.Single(store.RoomHistory("#x", long.MaxValue, 5)).Text);
        Assert.Equal(evil, Assert.Single(store.LoadRooms()).Topic);
    }

    [Fact]
    public void A_file_where_the_data_folder_should_be_is_a_clear_error()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "not-a-folder");
        File.WriteAllText(file, "x");
        using var store = new SqliteMessageStore(file);
        var ex = Assert.Throws<StoreException>(store.Open);
        Assert.Contains("--data", ex.Message);
    }
}
