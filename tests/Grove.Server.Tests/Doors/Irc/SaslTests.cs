using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>IRCv3 sasl-3.1/3.2 and draft/account-registration as the conformance suite (irctest) drives them.</summary>
public sealed class SaslTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.MinPasswordLength = 1);
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Plain(string account, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}\0{account}\0{password}"));

    private async Task RegisterAsync(string nick, string password)
    {
        await using var c = await LineClient.IrcWithCapsAsync(_server.Irc, nick, "standard-replies");
        await c.SendAsync($"REGISTER {nick} * {password}");
        await c.ExpectAsync($"^:test\\.grove REGISTER SUCCESS {nick} ");
    }

    [Fact]
    public async Task MinPasswordLength_lets_a_short_password_register_and_the_default_still_refuses_it()
    {
        // operations.md: "MinPasswordLength ... the shortest password a new account may have, in characters".
        await RegisterAsync("jilles", "sesame");
        await using var c = await LineClient.IrcWithCapsAsync(_server.Irc, "u1", "sasl");
        await c.SendAsync("AUTHENTICATE PLAIN");
        await c.ExpectAsync("^AUTHENTICATE \\+$");
        await c.SendAsync("AUTHENTICATE " + Plain("jilles", "sesame"));
        await c.ExpectAsync(" 900 u1 \\S+ jilles ");
        await c.ExpectAsync(" 903 u1 ");

        await using var strict = await TestServer.StartAsync();
        await using var d = await LineClient.IrcWithCapsAsync(strict.Irc, "bob", "standard-replies");
        await d.SendAsync("REGISTER bob * sesame");
        await d.ExpectAsync("^:test\\.grove FAIL REGISTER ACCOUNT_NOT_CREATED :Choose a password of at least 8 characters\\.$");
    }

    [Fact]
    public async Task A_400_kB_payload_is_refused_once_and_its_remaining_chunks_are_ignored()
    {
        // sasl-3.1: "If authentication fails, a 904 or 905 numeric will be sent and the client MAY retry from the
        // AUTHENTICATE <mechanism> command." A payload past what PLAIN can need fails once; the chunks still coming
        // (400 bytes each, the last one shorter) are not answered one by one.
        await RegisterAsync("foo", "sesame");
        await using var c = await LineClient.IrcWithCapsAsync(_server.Irc, "u2", "sasl");
        await c.SendAsync("AUTHENTICATE PLAIN");
        await c.ExpectAsync("^AUTHENTICATE \\+$");
        var chunk = new string('x', 400);
        var burst = new StringBuilder();
        for (var i = 0; i < 1000; i++) burst.Append("AUTHENTICATE ").Append(chunk).Append("\r\n");
        burst.Append("AUTHENTICATE +\r\n");
        await c.SendRawAsync(Encoding.ASCII.GetBytes(burst.ToString()));
        var lines = await c.IrcBarrierAsync();
        Assert.Equal([":test.grove 904 u2 :SASL authentication failed: the payload is too long"], lines);

        // "...the client MAY retry": the exchange is over, a new one works.
        await c.SendAsync("AUTHENTICATE PLAIN");
        await c.ExpectAsync("^AUTHENTICATE \\+$");
        await c.SendAsync("AUTHENTICATE " + Plain("foo", "sesame"));
        await c.ExpectAsync(" 903 u2 ");
    }

    [Fact]
    public async Task Authenticate_after_registration_answers()
    {
        // sasl-3.2: "Servers SHOULD allow a client, authenticated or otherwise, to reauthenticate by sending a new
        // AUTHENTICATE message at any time."
        await RegisterAsync("jill", "sesame");
        await using var c = await LineClient.IrcWithCapsAsync(_server.Irc, "u3", "sasl");
        await c.SendAsync("AUTHENTICATE PLAIN");
        await c.ExpectAsync("^AUTHENTICATE \\+$");
        await c.SendAsync("AUTHENTICATE " + Plain("jill", "sesame"));
        await c.ExpectAsync(" 900 u3 \\S+ jill ");
        await c.ExpectAsync(" 903 u3 ");
        // Logged in already: 907, never silence.
        await c.SendAsync("AUTHENTICATE PLAIN");
        await c.ExpectAsync(" 907 u3 ");
    }
}
