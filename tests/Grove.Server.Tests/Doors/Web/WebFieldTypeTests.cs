using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// "Any field of the wrong type is an error object" (issue #20, item 9): every client message type of docs/protocol.md's
/// table, with each of its fields mistyped every way, answers `error` and leaves the socket open.
/// </summary>
public sealed partial class WebFieldTypeTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    // The fields the protocol documents as numbers; every other field is a string.
    private static readonly HashSet<string> NumberFields = ["before", "limit"];

    /// <summary>The client-to-server table of docs/protocol.md: each type with the fields its rows name.</summary>
    public static Dictionary<string, SortedSet<string>> DocumentedMessages()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Grove.slnx"))) dir = dir.Parent;
        var lines = File.ReadAllLines(Path.Combine(dir!.FullName, "docs", "protocol.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith("Client → server", StringComparison.Ordinal));
        var table = new Dictionary<string, SortedSet<string>>();
        foreach (var line in lines.Skip(start + 3).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Split('|');
            // Column one: the types, then fields in parentheses; column two: fields.
            var paren = cells[1].IndexOf('(');
            var types = Code().Matches(paren < 0 ? cells[1] : cells[1][..paren]).Select(m => m.Groups[1].Value);
            var fields = Code().Matches(paren < 0 ? "" : cells[1][paren..]).Concat(Code().Matches(cells[2])).Select(m => m.Groups[1].Value);
            foreach (var type in types)
            {
                if (!table.TryGetValue(type, out var set)) table[type] = set = new();
                set.UnionWith(fields);
            }
        }
        return table;
    }

    [GeneratedRegex("`([a-z]+)`")]
    private static partial Regex Code();

    private static IEnumerable<(string Kind, JsonNode? Value)> WrongValues(string field)
    {
        yield return NumberFields.Contains(field) ? ("string", JsonValue.Create("5")) : ("number", JsonValue.Create(5));
        yield return ("object", new JsonObject { ["a"] = 1 });
        yield return ("array", new JsonArray(1, "x"));
        yield return ("null", null);
        yield return ("bool", JsonValue.Create(true));
        if (NumberFields.Contains(field)) yield return ("fraction", JsonValue.Create(2.5));
    }

    [Fact]
    public void The_table_is_read_from_the_documentation()
    {
        var table = DocumentedMessages();
        Assert.Equal(["before", "limit", "target"], table["history"]);
        Assert.Equal(["name", "password", "token"], table["hello"]);
        Assert.Contains("room", table["who"]);
        Assert.True(table.Count >= 16, string.Join(", ", table.Keys));
    }

    [Fact]
    public async Task Every_field_of_every_type_mistyped_is_an_error_and_the_socket_stays_open()
    {
        var table = DocumentedMessages();
        await using var guest = await WsClient.OpenAsync(_server.Http.Port);
        await using var ws = await WsClient.OpenAsync(_server.Http.Port);
        await ws.Send(new { type = "hello", name = "typist" });
        await ws.Expect("welcome");
        await ws.Send(new { type = "ping" });
        await ws.Expect("pong"); // past the join that follows the welcome
        var sent = 0;
        foreach (var (type, fields) in table)
        {
            foreach (var field in fields)
            {
                foreach (var (kind, value) in WrongValues(field))
                {
                    var message = new JsonObject { ["type"] = type };
                    // The other fields well typed, so only the one under test is wrong.
                    foreach (var other in fields.Where(f => f != field && !(type == "hello" && f is "token" or "password")))
                        message[other] = NumberFields.Contains(other) ? JsonValue.Create(1) : JsonValue.Create(other == "room" || other == "target" ? "#lobby" : "x" + other);
                    message[field] = value;
                    // A hello is tried before a name is chosen (after it, any hello is refused whatever its fields).
                    var client = type == "hello" ? guest : ws;
                    await client.Socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(message.ToJsonString()), System.Net.WebSockets.WebSocketMessageType.Text, true, default);
                    await client.Send(new { type = "ping" });
                    var answers = new List<JsonElement>();
                    while (true)
                    {
                        JsonElement m;
                        try { m = await client.Next(); }
                        catch (Exception e) when (e is OperationCanceledException or IOException)
                        {
                            throw new Xunit.Sdk.XunitException($"{message.ToJsonString()} ({field} as {kind}): no pong, {e.Message}; before it: {string.Join(" ", answers.Select(a => a.GetRawText()))}");
                        }
                        if (m.GetProperty("type").GetString() == "pong") break;
                        answers.Add(m);
                    }
                    var error = answers.FirstOrDefault(a => a.GetProperty("type").GetString() == "error");
                    Assert.True(error.ValueKind == JsonValueKind.Object && error.GetProperty("code").GetString() == "bad_argument",
                        $"{message.ToJsonString()} ({field} as {kind}) answered {string.Join(" ", answers.Select(a => a.GetRawText()))}");
                    Assert.Contains(field, error.GetProperty("text").GetString());
                    Assert.DoesNotContain(answers, a => a.GetProperty("type").GetString() is "welcome" or "goodbye" or "loggedin");
                    sent++;
                }
            }
        }
        Assert.True(sent > 60, $"only {sent} messages");
        // Nothing was logged as a failure of the server.
        Assert.DoesNotContain("[ERR]", await File.ReadAllTextAsync(_server.LogFile));
    }
    [Fact]
    public async Task Half_a_character_in_any_field_or_name_is_an_error_and_the_socket_stays_open()
    {
        // A lone surrogate escape is valid JSON but not text: reading it threw and closed the socket ("internal error").
        await using var ws = await WsClient.OpenAsync(_server.Http.Port);
        await ws.Send(new { type = "hello", name = "halves" });
        await ws.Expect("welcome");
        await ws.Send(new { type = "ping" });
        await ws.Expect("pong");
        const string half = "\\ud800";
        string[] messages =
        [
            $$"""{"type":"say","room":"#lobby","text":"a{{half}}b"}""",
            $$"""{"type":"msg","to":"halves","text":"{{half}}"}""",
            $$"""{"type":"join","room":"#x{{half}}"}""",
            $$"""{"type":"command","room":"#lobby","text":"/away {{half}}"}""",
            $$"""{"type":"history","target":"{{half}}"}""",
            $$"""{"type":"{{half}}"}""",
            $$"""{"type":"say","room":"#lobby","text":"x","{{half}}":1}""",
            $$"""{"type":"say","room":"#lobby","text":"x","extra":["{{half}}"]}""",
        ];
        foreach (var message in messages)
        {
            await ws.Socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(message), System.Net.WebSockets.WebSocketMessageType.Text, true, default);
            await ws.Send(new { type = "ping" });
            var answers = new List<string>();
            while (true)
            {
                JsonElement m;
                try { m = await ws.Next(); }
                catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException)
                {
                    throw new Xunit.Sdk.XunitException($"{message}: no pong, {e.Message}; before it: {string.Join(" ", answers)}");
                }
                if (m.GetProperty("type").GetString() == "pong") break;
                answers.Add(m.GetRawText());
            }
            Assert.True(answers.Count == 1 && answers[0].Contains("bad_argument", StringComparison.Ordinal), $"{message} answered {string.Join(" ", answers)}");
        }
        Assert.DoesNotContain("internal error", await File.ReadAllTextAsync(_server.LogFile));
    }
}
