using Grove.Core;
using Grove.Core.Commands;
using Grove.Core.People;
using Grove.Server.Doors.Web;
using Grove.Server.Store.Sqlite;
using Grove.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grove.Server.Tests.Store;

public sealed class TokenPurgeIntegrationTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    // The sessions are web-door sessions, rendered as that door renders them; nothing here closes a connection.
    private sealed class NoConnection : IConnectionControl { public void Close(bool graceful) { } }

    private static ChatServer Started(SqliteMessageStore store, TimeProvider time)
    {
        store.Open();
        var chat = new ChatServer(new ChatOptions { PasswordIterations = 1_000 }, store, NullLogger<ChatServer>.Instance, time);
        chat.Start();
        return chat;
    }

    /// <summary>A web connection named alice, with an account.</summary>
    private static async Task<Session> AliceWithAccountAsync(ChatServer chat)
    {
        var alice = chat.Connect(DoorKind.Web, "127.0.0.1:5000", new WebRenderer(), new NoConnection());
        await chat.ExecuteAsync(alice, new ChatCommand(CommandKind.Register, "alice"));
        Assert.True((await chat.RegisterAccountAsync(alice, "long enough")).Ok);
        return alice;
    }

    [Fact]
    public async Task Web_tokens_past_their_lifetime_are_removed_from_the_store_at_start_even_if_never_used_again()
    {
        using var folder = new TempFolder();
        var time = new ManualTime();
        string recent;

        // Day 0: alice gets a token; day 20: another.
        using (var store = new SqliteMessageStore(folder.Path))
        {
            await using var chat = Started(store, time);
            var alice = await AliceWithAccountAsync(chat);
            Assert.NotNull(await chat.IssueTokenAsync(alice));
            time.Now += TimeSpan.FromDays(20);
            recent = (await chat.IssueTokenAsync(alice))!;
        }
        using (var store = new SqliteMessageStore(folder.Path))
        {
            store.Open();
            Assert.Equal(2, store.LoadState().Tokens.Count);
        }

        // Day 31: a restart, and nobody presents the old token.
        time.Now += TimeSpan.FromDays(11);
        using (var store = new SqliteMessageStore(folder.Path))
        {
            await using var chat = Started(store, time);
            var browser = chat.Connect(DoorKind.Web, "127.0.0.1:5001", new WebRenderer(), new NoConnection());
            Assert.True((await chat.LoginWithTokenAsync(browser, recent, takeName: true)).Ok);
        }
        using (var store = new SqliteMessageStore(folder.Path))
        {
            store.Open();
            var tokens = store.LoadState().Tokens;
            var left = Assert.Single(tokens);
            Assert.Equal(time.Now - TimeSpan.FromDays(11), left.CreatedAt);
        }
    }

    [Fact]
    public async Task A_running_server_drops_tokens_past_their_lifetime_from_memory_and_the_store()
    {
        using var folder = new TempFolder();
        var time = new ManualTime();
        string old, recent;
        using (var store = new SqliteMessageStore(folder.Path))
        {
            await using var chat = Started(store, time);
            var alice = await AliceWithAccountAsync(chat);
            old = (await chat.IssueTokenAsync(alice))!;
            time.Now += TimeSpan.FromDays(20);
            recent = (await chat.IssueTokenAsync(alice))!;

            Assert.Equal(0, await chat.PurgeExpiredTokensAsync()); // day 20: both still good
            time.Now += TimeSpan.FromDays(11);                      // day 31, no restart
            Assert.Equal(1, await chat.PurgeExpiredTokensAsync());
            Assert.Equal(0, await chat.PurgeExpiredTokensAsync());

            var browser = chat.Connect(DoorKind.Web, "127.0.0.1:5001", new WebRenderer(), new NoConnection());
            Assert.False((await chat.LoginWithTokenAsync(browser, old, takeName: true)).Ok);
            Assert.True((await chat.LoginWithTokenAsync(browser, recent, takeName: true)).Ok);
        }
        using (var store = new SqliteMessageStore(folder.Path))
        {
            store.Open();
            var left = Assert.Single(store.LoadState().Tokens);
            Assert.Equal(time.Now - TimeSpan.FromDays(11), left.CreatedAt);
        }
    }
}
