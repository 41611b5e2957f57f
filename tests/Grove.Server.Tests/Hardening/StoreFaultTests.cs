using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grove.Core.History;
using Grove.Testing;

namespace Grove.Server.Tests.Hardening;

/// <summary>The real SQLite store behind a switch that makes its commits fail (a named fault-injection point).</summary>
public sealed class StoreFaultTests
{
    private sealed class FaultyStore(IMessageStore inner) : IMessageStore
    {
        public volatile bool Failing;
        public void Open() => inner.Open();
        public long LastMessageId() => inner.LastMessageId();
        public void Commit(IReadOnlyList<StoredMessage> messages, IReadOnlyList<StoredRoom> rooms)
        {
            if (Failing) throw new StoreException("disk I/O error (injected)");
            inner.Commit(messages, rooms);
        }
        public IReadOnlyList<StoredRoom> LoadRooms() => inner.LoadRooms();
        public IReadOnlyList<StoredMessage> RoomHistory(string roomKey, long beforeId, int limit, Grove.Core.Rooms.Admission? reader) => inner.RoomHistory(roomKey, beforeId, limit, reader);
        public IReadOnlyList<StoredMessage> PrivateHistory(string a, string b, IReadOnlyList<string> owners, long beforeId, int limit) => inner.PrivateHistory(a, b, owners, beforeId, limit);
        public IReadOnlyList<StoredMessage> Range(HistoryRange range) => inner.Range(range);
        public IReadOnlyList<ConversationSummary> Conversations(IReadOnlyList<string> owners, IReadOnlyCollection<string> roomKeys, DateTimeOffset from, DateTimeOffset to, int limit) =>
            inner.Conversations(owners, roomKeys, from, to, limit);
        public bool IsHealthy(out string? problem)
        {
            problem = Failing ? "disk I/O error (injected)" : null;
            return !Failing && inner.IsHealthy(out problem);
        }
        public void CommitChanges(Grove.Core.Accounts.StoreChanges changes) => inner.CommitChanges(changes);
        public Grove.Core.Accounts.StoredState LoadState() => inner.LoadState();
        public IReadOnlyList<Grove.Core.Accounts.AuditEntry> ReadAudit(string? roomKey, int limit) => inner.ReadAudit(roomKey, limit);
        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task When_the_store_fails_the_chat_goes_on_senders_are_told_once_health_says_so_and_it_recovers()
    {
        FaultyStore? faulty = null;
        await using var server = await TestServer.StartAsync(o => o.WrapStore = inner => faulty = new FaultyStore(inner));
        using var http = new HttpClient();
        await using var alice = await server.JoinAsync("alice");
        await using var bob = await server.JoinAsync("bob");
        await alice.SendAsync("saved");
        await bob.ExpectAsync("^alice: saved$");

        faulty!.Failing = true;
        await alice.SendAsync("during the fault 1");
        await bob.ExpectAsync("^alice: during the fault 1$");
        // The failure is noticed when the commit fails, which is after that message: the next one carries the notice.
        await alice.SendAsync("during the fault 2");
        await bob.ExpectAsync("^alice: during the fault 2$");
        await alice.SendAsync("during the fault 3");
        await bob.ExpectAsync("^alice: during the fault 3$");
        var seen = await alice.LinesUntilBarrierAsync();
        Assert.Single(seen, l => l.StartsWith("* History is not being saved right now", StringComparison.Ordinal));
        var health = await http.GetAsync(new Uri(server.HttpUri, "/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("injected", (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("store").GetString());
        Assert.Contains("The store failed to save messages", await File.ReadAllTextAsync(server.LogFile));

        faulty.Failing = false;
        await alice.SendAsync("after recovery");
        await bob.ExpectAsync("^alice: after recovery$");
        await alice.LinesUntilBarrierAsync();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(server.HttpUri, "/healthz"))).StatusCode);
        Assert.Contains("The store works again", await File.ReadAllTextAsync(server.LogFile));
        await using var carol = await server.JoinAsync("carol");
        var replay = await carol.LinesUntilBarrierAsync();
        Assert.Contains(replay, l => l.EndsWith("alice: after recovery", StringComparison.Ordinal));
        Assert.Contains(replay, l => l.EndsWith("alice: saved", StringComparison.Ordinal));
    }
}
