using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Server.Tests.People;

/// <summary>
/// People as others see them, over real sockets: one account on several doors is one person in every count and list,
/// "also here" names the others only, and /who shows invisible people to those who share a room with them.
/// </summary>
public sealed class OnePersonTests
{
    private const string Password = "correct horse battery";

    /// <summary>Logs in at the plain door's name prompt; returns the client and its welcome line.</summary>
    internal static async Task<(LineClient Client, string Welcome)> LoginAtPromptAsync(TestServer server, string name)
    {
        var c = await LineClient.ConnectAsync(server.Plain);
        c.Name = name;
        await c.ExpectAsync("^What is your name\\?$");
        await c.SendAsync(name);
        await c.ExpectAsync("Type its password");
        await c.SendAsync(Password);
        await c.ExpectAsync($"^\\* You are logged in as {name}\\.$");
        var welcome = await c.ExpectAsync($"^\\* Welcome, {name}!");
        return (c, welcome);
    }

    /// <summary>An IRC connection logged in to the account with SASL PLAIN, registered (after 001).</summary>
    internal static async Task<LineClient> IrcSaslAsync(TestServer server, string name)
    {
        var c = await LineClient.ConnectAsync(server.Irc);
        c.Name = name;
        await c.SendAsync("CAP REQ :sasl");
        await c.SendAsync($"NICK {name}");
        await c.SendAsync($"USER {name} 0 * :{name}");
        await c.SendAsync("AUTHENTICATE PLAIN");
        await c.ExpectAsync("^AUTHENTICATE \\+$");
        await c.SendAsync("AUTHENTICATE " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{name}\0{Password}")));
        await c.ExpectAsync(" 903 ");
        await c.SendAsync("CAP END");
        await c.ExpectAsync($" 001 {name} ");
        return c;
    }

    [Fact]
    public async Task Also_here_names_the_others_and_never_yourself()
    {
        await using var server = await TestServer.StartAsync();
        await using var uone = await server.JoinAsync("uone");
        await uone.SendAsync("/join #t1");
        await uone.ExpectAsync("^\\* You joined #t1 \\(a new room\\); nobody else is here\\.$");
        await using var utwo = await server.JoinAsync("utwo");
        await utwo.SendAsync("/join #t1");
        await utwo.ExpectAsync("^\\* You joined #t1; also here: uone\\.$");

        // A second connection of an account enters the account's rooms: the welcome counts and names the others only.
        await using var alice = await server.RegisteredAsync("alice", Password);
        await alice.SendAsync("/join #t1");
        await alice.ExpectAsync("^\\* You joined #t1; also here: uone, utwo\\.$");
        var (again, welcome) = await LoginAtPromptAsync(server, "alice");
        await using var _ = again;
        Assert.Equal("* Welcome, alice! You are in #t1; 2 other people are here. Type /help for the list of commands.", welcome);
        await again.ExpectAsync("^\\* You joined #t1; also here: uone, utwo\\.$");
    }

    [Fact]
    public async Task One_account_on_three_doors_is_one_person_in_every_count_and_list()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.RegisteredAsync("alice", Password);
        await using var bob = await server.JoinAsync("bob");
        await using var irc = await IrcSaslAsync(server, "alice");
        await irc.ExpectAsync(" 353 alice = #lobby :");
        await using var web = await WsClient.OpenAsync(server.Http.Port);
        await web.Send(new { type = "hello", name = "alice", password = Password });
        // The web connection's welcome counts bob only, not alice's other connections.
        Assert.Equal(1, (await web.Expect("welcome")).GetProperty("others").GetInt32());
        await web.Expect("joined");

        await using var dave = await server.JoinAsync("dave");
        Assert.Contains(dave.Seen, l => l.StartsWith("* Welcome, dave! You are in #lobby; 2 other people are here.", StringComparison.Ordinal));
        await dave.SendAsync("/who #lobby");
        await dave.ExpectAsync("^\\* In #lobby \\(3\\): ");
        await dave.SendAsync("/rooms");
        await dave.ExpectAsync("^\\*   #lobby \\(3\\)$");

        await using var erin = await server.IrcAsync("erin");
        Assert.Contains(erin.Seen, l => l.EndsWith(" 251 erin :There are 4 users and 0 invisible on 1 servers", StringComparison.Ordinal));
        await erin.SendAsync("JOIN #lobby");
        var names = await erin.ExpectAsync(" 353 erin = #lobby :");
        Assert.Single(Regex.Matches(names, "\\balice\\b"));
        await erin.SendAsync("LIST");
        await erin.ExpectAsync(" 322 erin #lobby 4 ");

        using var http = new HttpClient();
        var rooms = await http.GetFromJsonAsync<JsonElement>(new Uri(server.HttpUri, "/api/rooms"));
        Assert.Equal(4, rooms.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "#lobby").GetProperty("members").GetInt32());
        var users = await http.GetFromJsonAsync<JsonElement>(new Uri(server.HttpUri, "/api/users"));
        Assert.Equal(["alice", "bob", "dave", "erin"], users.EnumerateArray().Select(u => u.GetProperty("name").GetString()));
        Assert.Equal(["irc", "plain", "web"], users[0].GetProperty("doors").EnumerateArray().Select(d => d.GetString()).Order());
        var status = await http.GetFromJsonAsync<JsonElement>(new Uri(server.HttpUri, "/status.json"));
        Assert.Equal(4, status.GetProperty("rooms").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "#lobby").GetProperty("members").GetInt32());
        var people = status.GetProperty("people").EnumerateArray().ToList();
        Assert.Equal(4, people.Count);
        Assert.Equal(3, people.Single(p => p.GetProperty("name").GetString() == "alice").GetProperty("connections").GetArrayLength());

        // alice stays one member while any connection stays (the first one going too), and none once the last goes.
        await alice.SendAsync("/quit");
        await alice.ReadUntilClosedAsync();
        await dave.SendAsync("/rooms");
        await dave.ExpectAsync("^\\*   #lobby \\(4\\)$");
        await irc.SendAsync("QUIT :bye");
        await irc.ReadUntilClosedAsync();
        await web.DisposeAsync();
        await dave.ExpectAsync("^\\* alice left");
        await dave.SendAsync("/rooms");
        await dave.ExpectAsync("^\\*   #lobby \\(3\\)$");
    }

    [Fact]
    public async Task Who_lists_invisible_people_to_those_who_share_a_room_with_them()
    {
        await using var server = await TestServer.StartAsync();
        await using var bob = await server.JoinAsync("bob");
        await using var carol = await server.IrcAsync("carol");
        await carol.SendAsync("MODE carol +i");
        await carol.SendAsync("JOIN #lobby");
        await bob.ExpectAsync("^\\* carol joined #lobby$");
        await bob.SendAsync("/who");
        await bob.ExpectAsync("^\\* Online \\(2\\): bob, carol$");

        // Someone who shares no room with carol still does not see her name.
        await using var dave = await server.JoinAsync("dave");
        await dave.SendAsync("/join #elsewhere");
        await dave.ExpectAsync("^\\* You joined #elsewhere");
        await dave.SendAsync("/who");
        await dave.ExpectAsync("^\\* Online \\(3\\): bob, dave, and 1 more$");
    }
}
