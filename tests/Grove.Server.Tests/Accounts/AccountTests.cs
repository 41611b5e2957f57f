using System.Text;
using Grove.Server.Store.Sqlite;
using Grove.Testing;

namespace Grove.Server.Tests.Accounts;

/// <summary>Accounts over real sockets on every door: register, log in, take-over refused, many connections, brute force.</summary>
public sealed class AccountTests
{
    private const string Password = "correct horse battery";

    /// <summary>Connects to the plain door and registers <paramref name="name"/> as an account.</summary>
    private static Task<LineClient> RegisteredAsync(TestServer server, string name, string password = Password) =>
        server.RegisteredAsync(name, password);

    /// <summary>Registers the name and leaves, once the server has closed the connection (the name is free then).</summary>
    private static async Task RegisterAndLeaveAsync(TestServer server, string name, string password = Password)
    {
        await using var c = await RegisteredAsync(server, name, password);
        await c.SendAsync("/quit");
        await c.ReadUntilClosedAsync();
    }

    /// <summary>Logs in at the plain door's name prompt: the name, then its password.</summary>
    private static async Task<LineClient> LoginAtPromptAsync(TestServer server, string name, string password = Password)
    {
        var c = await LineClient.ConnectAsync(server.Plain);
        c.Name = name;
        await c.ExpectAsync("^What is your name\\?$");
        await c.SendAsync(name);
        await c.ExpectAsync($"^The name {name} is registered\\. Type its password");
        await c.SendAsync(password);
        await c.ExpectAsync($"^\\* You are logged in as {name}\\.$");
        await c.ExpectAsync($"^\\* Welcome, {name}!");
        return c;
    }

    private static string SaslPlain(string account, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{account}\0{password}"));

    [Fact]
    public async Task A_registered_name_is_refused_to_guests_and_taken_back_with_its_password_at_the_prompt()
    {
        await using var server = await TestServer.StartAsync();
        await RegisterAndLeaveAsync(server, "alice");

        await using var guest = await LineClient.ConnectAsync(server.Plain);
        await guest.ExpectAsync("^What is your name\\?$");
        await guest.SendAsync("ALICE");
        // One line: the prompt for the password.
        Assert.Equal("The name ALICE is registered. Type its password (or an empty line to choose another name):", await guest.NextLineAsync());
        await guest.SendAsync("not the password");
        await guest.ExpectAsync("^! Wrong name or password\\.$");
        await guest.ExpectAsync("^What is your name\\?$");
        // An empty line at the password prompt goes back to choosing a name.
        await guest.SendAsync("alice");
        await guest.ExpectAsync("^The name alice is registered");
        await guest.SendAsync("");
        await guest.ExpectAsync("^What is your name\\?$");
        await guest.SendAsync("mallory");
        await guest.ExpectAsync("^\\* Welcome, mallory!");
        await guest.SendAsync("/nick Alice");
        await guest.ExpectAsync("^! The name \"alice\" is registered");

        await using var back = await LoginAtPromptAsync(server, "alice");
        await back.SendAsync("/login alice whatever");
        await back.ExpectAsync("^! Wrong name or password\\.$");
    }

    [Fact]
    public async Task Register_needs_a_real_password_and_a_name_can_be_registered_once()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.JoinAsync("alice");
        await alice.SendAsync("/register short");
        await alice.ExpectAsync("^! Choose a password of at least 8 characters\\.$");
        await alice.SendAsync("/register");
        await alice.ExpectAsync("^! Usage: /register PASSWORD$");
        await alice.SendAsync($"/register {Password}");
        await alice.ExpectAsync("^\\* The name alice is now your account");
        await alice.SendAsync($"/register {Password}");
        await alice.ExpectAsync("^! You are already logged in as alice\\.$");
    }

    [Fact]
    public async Task Passwords_are_neither_in_the_database_file_nor_in_the_log()
    {
        const string secret = "Tr0ub4dor&3-unique-7731";
        await using var server = await TestServer.StartAsync(o => o.LogLevel = "debug");
        await RegisterAndLeaveAsync(server, "alice", secret);
        await using (var back = await LoginAtPromptAsync(server, "alice", secret)) { }
        await using (var irc = await LineClient.ConnectAsync(server.Irc))
        {
            await irc.SendAsync("PASS :alice:" + secret);
            await irc.SendAsync("NICK alice");
            await irc.SendAsync("USER alice 0 * :Alice");
            await irc.ExpectAsync(" 900 ");
            await irc.ExpectAsync(" 001 alice ");
        }
        await server.Host.DisposeAsync();

        var data = Path.Combine(server.Folder.Path, "data");
        var stored = Directory.GetFiles(data).Select(File.ReadAllBytes).SelectMany(b => b).ToArray();
        var log = File.ReadAllText(server.LogFile);
        Assert.True(stored.Length > 0, "no data files");
        Assert.DoesNotContain(secret, Encoding.UTF8.GetString(stored));
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)), Encoding.UTF8.GetString(stored));
        Assert.DoesNotContain(secret, log);
        Assert.True(Encoding.UTF8.GetString(stored).Contains("pbkdf2-sha256$600000$"), string.Join(",", Directory.GetFiles(data).Select(f => f + ":" + new FileInfo(f).Length)));
        Assert.Contains("logged in as alice", log); // logins are logged, without the password
    }

    [Fact]
    public async Task Irc_sasl_plain_logs_in_and_a_guest_nick_cannot_take_the_account()
    {
        await using var server = await TestServer.StartAsync();
        await RegisterAndLeaveAsync(server, "alice");
        await using var guest = await LineClient.ConnectAsync(server.Irc);
        await guest.SendAsync("NICK Alice");
        await guest.SendAsync("USER g 0 * :Guest");
        await guest.ExpectAsync(" 433 \\* Alice :Nickname is registered to an account");
        await guest.SendAsync("NICK guest");
        await guest.ExpectAsync(" 001 guest ");

        await using var irc = await LineClient.ConnectAsync(server.Irc);
        await irc.SendAsync("CAP LS 302");
        await irc.ExpectAsync("CAP \\* LS .*sasl=PLAIN");
        await irc.SendAsync("NICK alice");
        await irc.SendAsync("USER alice 0 * :Alice A");
        await irc.SendAsync("CAP REQ :sasl account-tag extended-join account-notify");
        await irc.ExpectAsync("CAP \\* ACK :sasl account-tag extended-join account-notify");
        await irc.SendAsync("AUTHENTICATE PLAIN");
        await irc.ExpectAsync("^AUTHENTICATE \\+$");
        await irc.SendAsync("AUTHENTICATE " + SaslPlain("alice", "wrong password"));
        await irc.ExpectAsync(" 904 \\* :SASL authentication failed");
        await irc.SendAsync("AUTHENTICATE PLAIN");
        await irc.ExpectAsync("^AUTHENTICATE \\+$");
        await irc.SendAsync("AUTHENTICATE " + SaslPlain("alice", Password));
        await irc.ExpectAsync(" 900 \\* \\S+ alice :You are now logged in as alice");
        await irc.ExpectAsync(" 903 \\* :SASL authentication successful");
        await irc.SendAsync("CAP END");
        await irc.ExpectAsync(" 001 alice ");
        await irc.SendAsync("JOIN #lobby");
        await irc.ExpectAsync("^:alice!~alice@irc\\.grove JOIN #lobby alice :Alice A$");

        await guest.SendAsync("WHOIS alice");
        await guest.ExpectAsync(" 330 guest alice alice :is logged in as");
        await guest.SendAsync("JOIN #lobby");
        await irc.ExpectAsync("^:guest!~g@irc\\.grove JOIN #lobby \\* :Guest$");
        await guest.SendAsync("REGISTER :" + Password);
        await guest.ExpectAsync(" 900 guest ");
        await irc.ExpectAsync("^:guest!~g@irc\\.grove ACCOUNT guest$");
        await guest.SendAsync("PRIVMSG #lobby :tagged");
        await irc.ExpectAsync("^@account=guest :guest!~g@irc\\.grove PRIVMSG #lobby :tagged$");
    }

    [Fact]
    public async Task Irc_pass_is_the_login_for_clients_without_sasl()
    {
        await using var server = await TestServer.StartAsync();
        await RegisterAndLeaveAsync(server, "alice");
        await using var ok = await LineClient.ConnectAsync(server.Irc);
        await ok.SendAsync("PASS :" + Password);
        await ok.SendAsync("NICK alice");
        await ok.SendAsync("USER alice 0 * :Alice");
        await ok.ExpectAsync(" 900 \\* \\S+ alice ");
        await ok.ExpectAsync(" 001 alice ");

        await using var wrong = await LineClient.ConnectAsync(server.Irc);
        await wrong.SendAsync("PASS alice:nope-nope-nope");
        await wrong.SendAsync("NICK alicia");
        await wrong.SendAsync("USER a 0 * :A");
        await wrong.ExpectAsync("NOTICE \\* :PASS: Wrong name or password\\. You are connecting as a guest\\.");
        await wrong.ExpectAsync(" 001 alicia ");
    }

    [Fact]
    public async Task One_account_on_three_doors_at_once_shares_rooms_and_messages_and_leaves_quietly()
    {
        await using var server = await TestServer.StartAsync();
        await using var plain = await RegisteredAsync(server, "alice");
        await using var bob = await server.JoinAsync("bob");
        await plain.ExpectAsync("^\\* bob joined");

        // The same account over IRC (SASL) and the web (password, then a token).
        await using var irc = await LineClient.ConnectAsync(server.Irc);
        await irc.SendAsync("CAP REQ :sasl");
        await irc.SendAsync("NICK alice");
        await irc.SendAsync("USER alice 0 * :Alice");
        await irc.SendAsync("AUTHENTICATE PLAIN");
        await irc.ExpectAsync("^AUTHENTICATE \\+$");
        await irc.SendAsync("AUTHENTICATE " + SaslPlain("alice", Password));
        await irc.ExpectAsync(" 903 ");
        await irc.SendAsync("CAP END");
        await irc.ExpectAsync(" 001 alice ");
        await irc.ExpectAsync("^:alice!\\S+ JOIN #lobby$"); // already in alice's rooms
        await irc.ExpectAsync(" 353 alice = #lobby :.*alice");

        await using var web = await WsClient.OpenAsync(server.Http.Port);
        await web.Send(new { type = "hello", name = "alice", password = Password });
        Assert.Equal("alice", (await web.Expect("loggedin")).GetProperty("account").GetString());
        var token = (await web.Expect("token")).GetProperty("token").GetString()!;
        Assert.True(token.Length >= 40);

        // Nobody saw a second or third alice arrive.
        var bobSaw = await bob.LinesUntilBarrierAsync();
        Assert.DoesNotContain(bobSaw, l => l.Contains("alice joined"));
        await bob.SendAsync("/who #lobby");
        await bob.ExpectAsync("^\\* In #lobby \\(2\\): alice, bob$|^\\* In #lobby \\(2\\): bob, alice$");

        await bob.SendAsync("hello alice");
        await plain.ExpectAsync("^bob: hello alice$");
        await irc.ExpectAsync("^:bob!\\S+ PRIVMSG #lobby :hello alice$");
        await web.Expect("message");

        await irc.SendAsync("PRIVMSG #lobby :from my phone");
        await bob.ExpectAsync("^alice: from my phone$");
        await plain.ExpectAsync("^alice: from my phone$");

        await bob.SendAsync("/msg alice psst");
        await plain.ExpectAsync("^\\[private\\] bob: psst$");
        await irc.ExpectAsync("^:bob!\\S+ PRIVMSG alice :psst$");
        await plain.SendAsync("/msg bob hi back");
        await bob.ExpectAsync("^\\[private\\] alice: hi back$");
        await irc.ExpectAsync("^:alice!\\S+ PRIVMSG bob :hi back$");

        // One connection leaving is not the person leaving; the last one is.
        await irc.SendAsync("QUIT :bye");
        await irc.ReadUntilClosedAsync();
        await web.DisposeAsync();
        bobSaw = await bob.LinesUntilBarrierAsync();
        Assert.DoesNotContain(bobSaw, l => l.Contains("alice left"));
        await plain.SendAsync("/quit");
        await bob.ExpectAsync("^\\* alice left");

        // The browser's token logs it in again without the password.
        await using var again = await WsClient.OpenAsync(server.Http.Port);
        await again.Send(new { type = "hello", token });
        Assert.Equal("alice", (await again.Expect("welcome")).GetProperty("name").GetString());
        await using var forged = await WsClient.OpenAsync(server.Http.Port);
        await forged.Send(new { type = "hello", token = token[..^2] + "xx" });
        Assert.Equal("login_failed", (await forged.Expect("error")).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Failed_logins_are_limited_per_account_with_a_clear_message()
    {
        await using var server = await TestServer.StartAsync();
        await RegisterAndLeaveAsync(server, "alice");
        await using var guest = await server.JoinAsync("guesser");
        for (var i = 0; i < 5; i++)
        {
            await guest.SendAsync($"/login alice wrong{i}");
            await guest.ExpectAsync("^! Wrong name or password\\.$");
        }
        // Even the right password is refused now, and the answer says why and for how long.
        await guest.SendAsync($"/login alice {Password}");
        await guest.ExpectAsync("^! Too many failed logins\\. Try again in \\d+ seconds\\.$");
        // From the IRC door too (the limit is per account, whatever the door).
        await using var irc = await LineClient.ConnectAsync(server.Irc);
        await irc.SendAsync("CAP REQ :sasl");
        await irc.SendAsync("AUTHENTICATE PLAIN");
        await irc.SendAsync("AUTHENTICATE " + SaslPlain("alice", Password));
        await irc.ExpectAsync(" 904 \\* :SASL authentication failed: Too many failed logins");
        // Another account is not affected.
        await RegisterAndLeaveAsync(server, "carol");
        await guest.SendAsync($"/login carol {Password}");
        await guest.ExpectAsync("^\\* You are logged in as carol\\.$");
    }

    [Fact]
    public async Task Failed_logins_are_limited_per_address_across_accounts()
    {
        await using var server = await TestServer.StartAsync();
        await using var guest = await server.JoinAsync("guesser");
        // 20 failures from one address, spread over accounts that do not even exist…
        for (var i = 0; i < 20; i++)
        {
            await guest.SendAsync($"/login name{i} wrong");
            await guest.ExpectAsync("^! Wrong name or password\\.$");
        }
        // …and the address is refused for any account.
        await guest.SendAsync("/login someone else");
        await guest.ExpectAsync("^! Too many failed logins");
    }
}
