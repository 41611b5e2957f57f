using System.Text;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grove.Core.Tests;

/// <summary>Account rules of the core alone, on a clock the test moves.</summary>
public sealed class AccountUnitTests : IAsyncLifetime
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
        // The monotonic clock moves with the wall clock here: these tests never step it back.
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Now.UtcTicks;
    }

    private sealed class Renderer : IEventRenderer
    {
        public int EncodingKey(Session recipient) => 7;
        public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient) => Encoding.UTF8.GetBytes(ev.GetType().Name + "\n");
    }

    private sealed class Control : IConnectionControl
    {
        public void Close(bool graceful) { }
    }

    private readonly ManualTime _time = new();
    private readonly ChatServer _chat;

    public AccountUnitTests() =>
        _chat = new ChatServer(new ChatOptions { PasswordIterations = 1_000 }, new NullMessageStore(), NullLogger<ChatServer>.Instance, _time);

    public Task InitializeAsync()
    {
        _chat.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _chat.DisposeAsync();

    private async Task<Session> Named(string name)
    {
        var s = _chat.Connect(DoorKind.Web, "127.0.0.1:5000", new Renderer(), new Control());
        await _chat.ExecuteAsync(s, new ChatCommand(CommandKind.Register, name));
        return s;
    }

    [Fact]
    public async Task A_web_token_logs_in_for_thirty_days_and_not_after_logout_or_expiry()
    {
        var alice = await Named("alice");
        Assert.True((await _chat.RegisterAccountAsync(alice, "long enough")).Ok);
        var token = (await _chat.IssueTokenAsync(alice))!;
        var other = (await _chat.IssueTokenAsync(alice))!;

        var browser = _chat.Connect(DoorKind.Web, "127.0.0.1:5001", new Renderer(), new Control());
        _time.Now += TimeSpan.FromDays(29);
        Assert.True((await _chat.LoginWithTokenAsync(browser, token, takeName: true)).Ok);
        Assert.Equal("alice", browser.Account);

        // Logging out ends that token only.
        await _chat.LogoutAsync(browser, token);
        Assert.False((await _chat.LoginWithTokenAsync(_chat.Connect(DoorKind.Web, "127.0.0.1:5002", new Renderer(), new Control()), token, true)).Ok);

        // The other one expires 30 days after it was made.
        _time.Now += TimeSpan.FromDays(2);
        var late = await _chat.LoginWithTokenAsync(_chat.Connect(DoorKind.Web, "127.0.0.1:5003", new Renderer(), new Control()), other, true);
        Assert.False(late.Ok);
        Assert.Equal("That session has ended; log in again.", late.Message);
    }

    [Fact]
    public async Task The_throttle_forgets_failures_once_the_window_has_passed()
    {
        var bob = await Named("bob");
        Assert.True((await _chat.RegisterAccountAsync(bob, "bobs password")).Ok);
        var guesser = _chat.Connect(DoorKind.Plain, "10.1.1.1:4000", new Renderer(), new Control());
        for (var i = 0; i < 5; i++) Assert.Equal(ChatServer.LoginOutcome.Failed, (await _chat.LoginAsync(guesser, "bob", "nope", false)).Outcome);
        Assert.Equal(ChatServer.LoginOutcome.Blocked, (await _chat.LoginAsync(guesser, "bob", "bobs password", false)).Outcome);
        _time.Now += TimeSpan.FromMinutes(5);
        Assert.True((await _chat.LoginAsync(guesser, "bob", "bobs password", false)).Ok);
    }
}
