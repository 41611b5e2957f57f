using System.Text.Json;
using Grove.Core.History;
using Grove.Server.Hosting;
using Grove.Server.Store.Postgres;
using Grove.Testing;

namespace Grove.Server.Tests.Store;

/// <summary>A real server on a real PostgreSQL (issue 24: `grove serve --store postgres`).</summary>
public sealed class PostgresServerTests
{
    private static Action<GroveServerOptions> OnPostgres(string connection, string node = "a") => o =>
    {
        o.Store = "postgres";
        o.Postgres = connection;
        o.NodeName = node;
    };

    [Fact]
    public async Task Plain_irc_and_web_talk_on_postgres_and_history_accounts_and_topics_survive_a_restart()
    {
        var database = SharedPostgres.NewDatabase();
        using var folder = new TempFolder();
        await using (var first = await TestServer.StartAsync(OnPostgres(database), folder))
        {
            await using var alice = await first.RegisteredAsync("alice", "correct horse");
            await using var bob = await first.IrcAsync("bob");
            await using var web = await WsClient.OpenAsync(first.Http.Port);
            await web.Send(new { type = "hello", name = "wendy" });
            await web.Expect("welcome");
            await alice.SendAsync("/join #garden");
            await alice.SendAsync("/room register");
            await alice.ExpectAsync("^\\* #garden is registered");
            await alice.SendAsync("/topic Tomatoes and basil");
            await bob.SendAsync("JOIN #garden");
            await bob.IrcBarrierAsync();
            await web.Send(new { type = "join", room = "#garden" });
            await web.Expect("joined");
            await alice.SendAsync("from netcat 🌱");
            await bob.ExpectAsync("PRIVMSG #garden :from netcat 🌱$");
            await bob.SendAsync("PRIVMSG #garden :from irc");
            await alice.ExpectAsync("^bob: from irc$");
            await web.Send(new { type = "say", room = "#garden", text = "from the web" });
            await alice.ExpectAsync("^wendy: from the web$");
            await bob.ExpectAsync("PRIVMSG #garden :from the web$");
            await alice.SendAsync("/msg bob between us");
            await bob.ExpectAsync("PRIVMSG bob :between us$");
            await alice.LinesUntilBarrierAsync();
        }
        // Nothing of it is in the data folder: SQLite was never opened.
        Assert.False(File.Exists(Path.Combine(folder.Path, "data", Grove.Server.Store.Sqlite.SqliteMessageStore.FileName)));

        await using var second = await TestServer.StartAsync(OnPostgres(database), folder);
        await using var carol = await second.IrcAsync("carol");
        await carol.SendAsync("JOIN #garden");
        await carol.ExpectAsync(":Tomatoes and basil$");
        // The join replays the room's history, read back from PostgreSQL.
        var batch = await carol.IrcBarrierAsync();
        Assert.Equal(["from netcat 🌱", "from irc", "from the web"],
            batch.Where(l => l.Contains("PRIVMSG #garden :")).Select(l => l[(l.IndexOf("PRIVMSG #garden :", StringComparison.Ordinal) + 17)..]));
        await using var alice2 = await second.LoggedInAsync("alice", "correct horse");
        await alice2.SendAsync("/history bob");
        Assert.Matches("\\[private alice to bob\\] between us$", await alice2.ExpectAsync("^\\[history"));
        await using var web2 = await WsClient.OpenAsync(second.Http.Port);
        await web2.Send(new { type = "hello", name = "walt" });
        await web2.Expect("welcome");
        await web2.Send(new { type = "join", room = "#garden" });
        await web2.Send(new { type = "history", target = "#garden", limit = 50 });
        JsonElement h;
        do h = await web2.Expect("history"); while (!h.TryGetProperty("older", out _));
        Assert.Contains("from the web", h.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        // New messages continue the ids after the old ones.
        await alice2.SendAsync("/join #garden");
        await alice2.SendAsync("after the restart");
        await carol.ExpectAsync("PRIVMSG #garden :after the restart$");
        await alice2.LinesUntilBarrierAsync();
        Assert.Equal(5, Count(database, "SELECT count(*) FROM messages"));
    }

    [Fact]
    public void A_nul_character_which_postgres_text_cannot_hold_does_not_fail_everyones_commit()
    {
        // A web client can send "\u0000"; SQLite keeps it, PostgreSQL refuses it, and the batch with everyone's
        // messages would fail with it. Every door shows NUL as a space, so that is what is kept.
        var database = SharedPostgres.NewDatabase();
        using var store = new PostgresMessageStore(database, "a");
        store.Open();
        store.Commit([new StoredMessage(1, DateTimeOffset.UtcNow, "#r", "eve", null, "a\0b", Grove.Core.Events.MessageKind.Normal),
            new StoredMessage(2, DateTimeOffset.UtcNow, "#r", "bob", null, "innocent", Grove.Core.Events.MessageKind.Normal)],
            [new StoredRoom("#r", "topic\0here", "eve", DateTimeOffset.UtcNow)]);
        Assert.Equal(["a b", "innocent"], store.RoomHistory("#r", long.MaxValue, 10, Grove.Core.Rooms.Admission.Everything).Select(m => m.Text));
        Assert.Equal("topic here", store.LoadRooms().Single().Topic);
        var changes = new Grove.Core.Accounts.StoreChanges();
        changes.RoomSettings.Add(new("#r", "#r", "eve", "k", "k\0y", 0, ["*!*@a\0b"], [], [], [], DateTimeOffset.UtcNow));
        changes.Audit.Add(new(DateTimeOffset.UtcNow, "eve", "kick", "#r", "bob", "why\0not"));
        store.CommitChanges(changes);
        var room = store.LoadState().RoomSettings.Single();
        Assert.Equal(("k y", "*!*@a b"), (room.Password, room.Bans.Single()));
        Assert.Equal("why not", store.ReadAudit("#r", 1).Single().Detail);
    }

    private static System.Data.ConnectionState Probe(Npgsql.NpgsqlConnection c)
    {
        try
        {
            using var cmd = new Npgsql.NpgsqlCommand("SELECT 1", c);
            cmd.ExecuteScalar();
        }
        catch (Npgsql.NpgsqlException)
        {
            // Ended by the server.
        }
        return c.FullState;
    }

    private static void Run(string database, string sql)
    {
        using var c = new Npgsql.NpgsqlConnection(database + ";Pooling=false");
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    [Theory]
    [InlineData("wrong password", "PostgreSQL refused the login to database {db} on 127.0.0.1:{port}: wrong user name or password. Check Username and Password in --postgres.")]
    [InlineData("missing database", "The PostgreSQL database grove_nowhere on 127.0.0.1:{port} does not exist. Create it first (createdb grove_nowhere; see \"Running on PostgreSQL\" in docs/operations.md).")]
    [InlineData("nothing listening", "Cannot reach PostgreSQL (database grove on 127.0.0.1:{free}): connection refused. Is it running, and are Host and Port in --postgres right?")]
    public void A_postgres_that_cannot_be_used_is_one_clear_sentence(string what, string expected)
    {
        var pg = SharedPostgres.Server;
        var database = pg.NewDatabase();
        var db = database.Split(';').First(p => p.StartsWith("Database=", StringComparison.Ordinal))[9..];
        var free = FreePort();
        var connection = what switch
        {
            "wrong password" => database.Replace(PostgresServer.Password, "not-it"),
            "missing database" => pg.ConnectionString("grove_nowhere"),
            _ => $"Host=127.0.0.1;Port={free};Database=grove;Username=x;Password=y",
        };
        using var store = new PostgresMessageStore(connection, "a");
        var ex = Assert.Throws<StoreException>(store.Open);
        Assert.Equal(expected.Replace("{db}", db).Replace("{port}", pg.Port.ToString()).Replace("{free}", free.ToString()), ex.Message);
    }

    internal static long Count(string database, string sql)
    {
        using var c = new Npgsql.NpgsqlConnection(database);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand(sql, c);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
