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
        public bool ProbeWrite() => !Failing && inner.ProbeWrite();
        public Grove.Core.Accounts.StoredState LoadState() => inner.LoadState();
        public IReadOnlyList<Grove.Core.Accounts.AuditEntry> ReadAudit(string? roomKey, int limit) => inner.ReadAudit(roomKey, limit);
        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task When_the_store_fails_messages_are_refused_not_delivered_health_says_so_and_it_recovers_by_itself()
    {
        // Issue 20, item 1: "while it cannot store, nothing is delivered that is not stored: the senders of the
        // unstored batch get `! The server cannot store messages right now; try again in a moment.`"
        FaultyStore? faulty = null;
        await using var server = await TestServer.StartAsync(o => o.WrapStore = inner => faulty = new FaultyStore(inner));
        using var http = new HttpClient();
        var health = new Uri(server.HttpUri, "/healthz");
        await using var alice = await server.JoinAsync("alice");
        await using var bob = await server.JoinAsync("bob");
        await using var ircCarol = await server.IrcAsync("carol");
        await ircCarol.SendAsync("JOIN #lobby");
        await ircCarol.IrcBarrierAsync();
        await alice.SendAsync("saved");
        await bob.ExpectAsync("^alice: saved$");

        faulty!.Failing = true;
        await alice.SendAsync("during the fault 1");
        await alice.ExpectAsync("^! The server cannot store messages right now; try again in a moment\\.$");
        await alice.SendAsync("/msg bob during the fault 2");
        await alice.ExpectAsync("^! The server cannot store messages right now; try again in a moment\\.$");
        await ircCarol.SendAsync("PRIVMSG #lobby :during the fault 3");
        await ircCarol.ExpectAsync("NOTICE carol :The server cannot store messages right now; try again in a moment\\.$");
        await using (var web = await WsClient.OpenAsync(server.Http.Port))
        {
            await web.Send(new { type = "hello", name = "erin" });
            await web.Expect("welcome");
            await web.Send(new { type = "say", room = "#lobby", text = "during the fault 4" });
            var error = await web.Expect("error");
            Assert.Equal("store_unavailable", error.GetProperty("code").GetString());
            Assert.Equal("#lobby", error.GetProperty("subject").GetString());
        }
        Assert.DoesNotContain(await bob.LinesUntilBarrierAsync(), l => l.Contains("during the fault"));
        Assert.DoesNotContain(await ircCarol.IrcBarrierAsync(), l => l.Contains("during the fault"));
        var answer = await http.GetAsync(health);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Contains("injected", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("store").GetString());
        Assert.Contains("The store failed to save messages", await File.ReadAllTextAsync(server.LogFile));

        // Nobody sends anything: the store is tried again on its own, and /healthz turns ok.
        faulty.Failing = false;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((await http.GetAsync(health)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "/healthz stayed 503 after the store recovered");
            await Task.Delay(50);
        }
        // The flag that /healthz reads is cleared a moment before the line is logged (on the commit loop's thread).
        while (!(await File.ReadAllTextAsync(server.LogFile)).Contains("The store works again", StringComparison.Ordinal))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "\"The store works again\" was never logged");
            await Task.Delay(50);
        }
        await alice.SendAsync("after recovery");
        await bob.ExpectAsync("^alice: after recovery$");
        await using var dave = await server.JoinAsync("dave");
        var replay = await dave.LinesUntilBarrierAsync();
        Assert.Contains(replay, l => l.EndsWith("alice: after recovery", StringComparison.Ordinal));
        Assert.Contains(replay, l => l.EndsWith("alice: saved", StringComparison.Ordinal));
        Assert.DoesNotContain(replay, l => l.Contains("during the fault"));
        await alice.SendAsync("/history bob");
        Assert.DoesNotContain(await alice.LinesUntilBarrierAsync(), l => l.Contains("during the fault"));
    }
}
