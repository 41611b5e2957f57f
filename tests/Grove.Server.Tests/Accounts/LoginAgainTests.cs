using Grove.Testing;

namespace Grove.Server.Tests.Accounts;

/// <summary>Every /login gets an answer: logging in again to the account the connection already has says so, not nothing.</summary>
public sealed class LoginAgainTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_second_login_to_the_same_account_is_answered()
    {
        await using (var owner = await _server.RegisteredAsync("lia", Password))
        {
            await owner.SendAsync("/quit");
            await owner.ReadUntilClosedAsync();
        }
        await using var guest = await _server.JoinAsync("liguest");
        await guest.SendAsync("/login lia " + Password);
        await guest.ExpectAsync("^\\* You are logged in as lia\\.$");
        await guest.LinesUntilBarrierAsync();
        // Before: the second login was answered with nothing at all.
        await guest.SendAsync("/login lia " + Password);
        var lines = await guest.LinesUntilBarrierAsync();
        Assert.Contains("* You are logged in as lia.", lines);
    }
}
