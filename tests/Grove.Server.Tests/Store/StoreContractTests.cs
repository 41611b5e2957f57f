using Grove.Core.Accounts;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Rooms;
using Grove.Server.Store.Postgres;
using Grove.Server.Store.Sqlite;
using Grove.Testing;
using Xunit.Abstractions;

namespace Grove.Server.Tests.Store;

/// <summary>Makes fresh stores of one kind for the contract tests.</summary>
public interface IStoreMaker
{
    string Kind { get; }
    /// <summary>A new empty store, opened; <paramref name="again"/> reopens the store a previous call made.</summary>
    IMessageStore Open(string? again = null);
    /// <summary>Where the last store made lives (to open it again).</summary>
    string LastPlace { get; }
}

public sealed class SqliteStoreMaker : IStoreMaker, IDisposable
{
    private readonly TempFolder _folder = new();
    private int _n;
    public string Kind => "SQLite";
    public string LastPlace { get; private set; } = "";

    public IMessageStore Open(string? again = null)
    {
        LastPlace = again ?? Path.Combine(_folder.Path, "s" + Interlocked.Increment(ref _n));
        var store = new SqliteMessageStore(LastPlace);
        store.Open();
        return store;
    }

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgresStoreMaker : IStoreMaker
{
    public string Kind => "PostgreSQL";
    public string LastPlace { get; private set; } = "";

    public IMessageStore Open(string? again = null)
    {
        LastPlace = again ?? SharedPostgres.NewDatabase();
        var store = new PostgresMessageStore(LastPlace, "test");
        store.Open();
        return store;
    }
}

public sealed class SqliteStoreContractTests(SqliteStoreMaker maker, ITestOutputHelper output) : StoreContractTests(maker, output), IClassFixture<SqliteStoreMaker>;

public sealed class PostgresStoreContractTests(PostgresStoreMaker maker, ITestOutputHelper output) : StoreContractTests(maker, output), IClassFixture<PostgresStoreMaker>;

/// <summary>
/// What every store must do, as IMessageStore says it (issue 24: "the store contract run against both SQLite and
/// PostgreSQL"): one test class, run once per store by the two classes above.
/// </summary>
public abstract class StoreContractTests(IStoreMaker maker, ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000);

    private static StoredMessage InRoom(long id, string room, string from, string text, RoomGates gates = RoomGates.None, long since = 0) =>
        new(id, T0.AddSeconds(id), room, from, null, text, MessageKind.Normal) { Gates = gates, GatesSince = since };

    private static StoredMessage Private(long id, string from, string to, string text, string? fromOwner, string? toOwner) =>
        new(id, T0.AddSeconds(id), null, from, to, text, MessageKind.Action) { FromOwner = fromOwner, ToOwner = toOwner };

    [Fact]
    public void Messages_and_rooms_come_back_as_they_were_committed_and_survive_a_reopen()
    {
        using (var store = maker.Open())
        {
            Assert.Equal(0, store.LastMessageId());
            store.Commit([InRoom(1, "#lobby", "alice", "hi 🌲"), InRoom(2, "#lobby", "bob", "hello"), InRoom(3, "#other", "carol", "elsewhere")],
                [new StoredRoom("#Lobby", null, null, null), new StoredRoom("#other", null, null, null)]);
            // The same room twice in one commit: the last change wins.
            store.Commit([InRoom(4, "#lobby", "alice", "topic next")],
                [new StoredRoom("#Lobby", "first", "alice", T0), new StoredRoom("#Lobby", "second", "bob", T0.AddMinutes(1))]);
            Assert.True(store.IsHealthy(out var problem), problem);
            Assert.True(store.ProbeWrite());
        }
        using var again = maker.Open(maker.LastPlace);
        Assert.Equal(4, again.LastMessageId());
        var rooms = again.LoadRooms();
        Assert.Equal(["#Lobby", "#other"], rooms.Select(r => r.Name));
        Assert.Equal(("second", "bob", T0.AddMinutes(1)), (rooms[0].Topic, rooms[0].TopicSetBy, rooms[0].TopicSetAt));
        var lobby = again.RoomHistory("#lobby", long.MaxValue, 10, Admission.Everything);
        Assert.Equal([1L, 2, 4], lobby.Select(m => m.Id));
        Assert.Equal(("alice", "hi 🌲", T0.AddSeconds(1), MessageKind.Normal), (lobby[0].From, lobby[0].Text, lobby[0].Time, lobby[0].Kind));
        Assert.Equal([2L], again.RoomHistory("#lobby", 4, 1, Admission.Everything).Select(m => m.Id));
    }

    [Fact]
    public void A_private_message_belongs_to_its_owners_not_to_the_names()
    {
        using var store = maker.Open();
        store.Commit([Private(1, "alice", "Bob", "psst", "a:alice", "g:tok1"), Private(2, "bob", "alice", "back", "g:tok2", "a:alice"),
            Private(3, "alice", "carol", "other", "a:alice", "a:carol")], []);
        Assert.Equal([1L, 2], store.PrivateHistory("alice", "bob", ["a:alice"], long.MaxValue, 10).Select(m => m.Id));
        Assert.Equal([1L], store.PrivateHistory("bob", "alice", ["g:tok1"], long.MaxValue, 10).Select(m => m.Id));
        Assert.Empty(store.PrivateHistory("bob", "alice", ["g:someone-else"], long.MaxValue, 10));
        Assert.Empty(store.PrivateHistory("bob", "alice", [], long.MaxValue, 10));
        var m = store.PrivateHistory("alice", "bob", ["a:alice"], 2, 10).Single();
        Assert.Equal(("alice", "Bob", (string?)null, MessageKind.Action), (m.From, m.To, m.Room, m.Kind));
    }

    [Fact]
    public void A_message_sent_behind_gates_is_shown_only_to_who_passed_them()
    {
        using var store = maker.Open();
        store.Commit([InRoom(1, "#g", "a", "open"), InRoom(2, "#g", "a", "secret", RoomGates.Secret | RoomGates.Keyed, 2), InRoom(3, "#g", "a", "late")], []);
        Assert.Equal([1L, 3], store.RoomHistory("#g", long.MaxValue, 10).Select(m => m.Id));
        Assert.Equal([1L, 2, 3], store.RoomHistory("#g", long.MaxValue, 10, new Admission(RoomGates.All, 2, 3)).Select(m => m.Id));
        Assert.Equal([1L, 3], store.RoomHistory("#g", long.MaxValue, 10, new Admission(RoomGates.Secret, 2, 3)).Select(m => m.Id));
        Assert.Equal([1L, 2, 3], store.RoomHistory("#g", long.MaxValue, 10, new Admission(RoomGates.None, 9, 1)).Select(m => m.Id));
        var stored = store.RoomHistory("#g", 3, 1, Admission.Everything).Single();
        Assert.Equal((RoomGates.Secret | RoomGates.Keyed, 2L), (stored.Gates, stored.GatesSince));
    }

    [Fact]
    public void Range_and_conversations_answer_within_their_bounds()
    {
        using var store = maker.Open();
        store.Commit(Enumerable.Range(1, 10).Select(i => InRoom(i, "#r", "a", "m" + i)).Append(Private(11, "alice", "bob", "p", "a:alice", "a:bob")).ToList(), []);
        var range = new HistoryRange("#r", null, null, 3, NewestFirst: false) { Reader = Admission.Everything, AfterId = 2, BeforeId = 9 };
        Assert.Equal([3L, 4, 5], store.Range(range).Select(m => m.Id));
        Assert.Equal([6L, 7, 8], store.Range(range with { NewestFirst = true }).Select(m => m.Id));
        Assert.Equal([5L, 6], store.Range(range with { Limit = 10, AfterId = null, BeforeId = null, After = T0.AddSeconds(4), Before = T0.AddSeconds(7) }).Select(m => m.Id));
        Assert.Equal([11L], store.Range(new HistoryRange(null, "bob", "alice", 5, false) { Owners = ["a:bob"] }).Select(m => m.Id));
        var talks = store.Conversations(["a:alice"], ["#r", "#none"], T0, T0.AddHours(1), 10);
        Assert.Equal([("bob", T0.AddSeconds(11)), ("#r", T0.AddSeconds(10))], talks.Select(c => (c.Target, c.Latest)));
        Assert.Single(store.Conversations(["a:alice"], ["#r"], T0, T0.AddHours(1), 1));
    }

    [Fact]
    public void Accounts_room_settings_tokens_bans_and_the_audit_log_are_kept()
    {
        using (var store = maker.Open())
        {
            var changes = new StoreChanges();
            changes.Accounts.Add(new StoredAccount("alice", "Alice", "pbkdf2-sha256$1$a$b", T0));
            changes.Accounts.Add(new StoredAccount("alice", "ALICE", "pbkdf2-sha256$1$c$d", T0));
            changes.RoomSettings.Add(new StoredRoomSettings("#reg", "#Reg", "alice", "tn", "key", 5, ["*!*@bad"], [], ["bob"], ["carol", "dave"], T0));
            changes.Audit.Add(new AuditEntry(T0, "alice", "register", null, "alice", null));
            changes.Audit.Add(new AuditEntry(T0.AddSeconds(1), "alice", "ban", "#reg", "*!*@bad", "spam"));
            changes.Tokens.Add(new StoredToken("t1", "alice", T0));
            changes.Tokens.Add(new StoredToken("t2", "alice", T0));
            changes.TokensRevoked.Add("t1");
            changes.ServerBans = ["*!*@evil", "*!*@bad"];
            store.CommitChanges(changes);
        }
        using var again = maker.Open(maker.LastPlace);
        var state = again.LoadState();
        var account = Assert.Single(state.Accounts);
        Assert.Equal(("alice", "ALICE", "pbkdf2-sha256$1$c$d", T0), (account.Key, account.Name, account.PasswordHash, account.CreatedAt));
        var room = Assert.Single(state.RoomSettings);
        Assert.Equal(("#Reg", "alice", "tn", "key", 5), (room.Name, room.Owner, room.Modes, room.Password, room.Limit));
        Assert.Equal([["*!*@bad"], [], ["bob"], ["carol", "dave"]], new[] { room.Bans, room.Mutes, room.Operators, room.Voices }.Select(l => l.ToArray()));
        Assert.Equal(["t2"], state.Tokens.Select(t => t.Key));
        Assert.Equal(["*!*@bad", "*!*@evil"], state.ServerBans);
        Assert.Equal(["ban", "register"], again.ReadAudit(null, 10).Select(a => a.Action));
        var ban = Assert.Single(again.ReadAudit("#reg", 10));
        Assert.Equal(("alice", "#reg", "*!*@bad", "spam", T0.AddSeconds(1)), (ban.Actor, ban.Room, ban.Target, ban.Detail, ban.Time));
    }

    [Fact]
    public void A_big_group_commit_is_one_transaction_and_its_rate_is_measured()
    {
        using var store = maker.Open();
        const int perCommit = 500, commits = 20;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var c = 0; c < commits; c++)
            store.Commit(Enumerable.Range(c * perCommit + 1, perCommit).Select(i => InRoom(i, "#bench", "sender" + (i % 7), new string('x', 60))).ToList(), []);
        var rate = perCommit * commits / watch.Elapsed.TotalSeconds;
        output.WriteLine($"{maker.Kind}: {perCommit * commits:N0} messages in {commits} commits of {perCommit}: {rate:N0} messages per commit-second");
        Assert.Equal(perCommit * commits, store.LastMessageId());
        Assert.Equal(perCommit * commits, store.Range(new HistoryRange("#bench", null, null, 100_000, false) { Reader = Admission.Everything }).Count);
    }
}
