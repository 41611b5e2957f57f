using System.Reflection;
using System.Text;
using System.Text.Json;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Server.Doors.Plain;
using Grove.Testing;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Server.Tests.Hardening;

/// <summary>
/// Issue #20 item 2: "every field any door can set … is cleaned on the way in or on the way out to text doors, with
/// one rule and one test over every event". Every ChatEvent type (found by reflection, so a new one is covered the day
/// it is added) is made with hostile text in every string, rendered for real sessions of the three doors, and checked:
/// no forbidden character comes out and no line appears that the same event with harmless text does not have.
/// </summary>
public sealed class EveryEventIsCleanTests : IAsyncLifetime
{
    // ESC (OSC title, screen clear, cursor moves), BEL, CR LF forging a [private] line, a lone CR, NUL, C1 CSI, DEL.
    private const string Hostile = "x\u001b]0;PWNED\u0007\u001b[2J\r\n[private] opadmin: hi\rlone\0nul\u009b31m\u007f\u001b[Cend";
    private const string Harmless = "x words";

    private TestServer _server = null!;
    private readonly List<IAsyncDisposable> _clients = [];

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var c in _clients) await c.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Every_event_type_with_hostile_text_in_every_field_renders_clean_on_every_door()
    {
        _clients.Add(await _server.JoinAsync("plainwatch"));
        _clients.Add(await _server.IrcAsync("barewatch"));
        _clients.Add(await LineClient.IrcWithCapsAsync(_server.Irc, "capwatch",
            "message-tags server-time account-tag echo-message away-notify invite-notify setname extended-join account-notify " +
            "labeled-response batch multi-prefix userhost-in-names draft/chathistory"));
        var ws = await WsClient.OpenAsync(_server.Http.Port);
        _clients.Add(ws);
        await ws.Send(new { type = "hello", name = "webwatch" });
        await ws.Expect("welcome");
        Session Find(string name) => _server.Host.Chat.Sessions.Single(s => s.Name == name);
        var recipients = new[] { Find("plainwatch"), Find("barewatch"), Find("capwatch"), Find("webwatch") };

        var types = EventTypes();
        Assert.True(types.Count >= 40, $"only {types.Count} event types found");

        var failures = new List<string>();
        var rendered = 0;
        foreach (var type in types)
        {
            var hostile = Make(type, Hostile);
            var harmless = Make(type, Harmless);
            Assert.Equal(harmless.Count, hostile.Count);
            for (var v = 0; v < hostile.Count; v++)
            {
                foreach (var to in recipients)
                {
                    var bad = Text(to, to.Renderer.Render(hostile[v], to));
                    var good = Text(to, to.Renderer.Render(harmless[v], to));
                    rendered++;
                    var problem = to.Door switch
                    {
                        DoorKind.Plain => CheckLines(bad, good, TextTarget.Terminal, irc: false),
                        DoorKind.Irc => CheckLines(bad, good, TextTarget.Line, irc: true),
                        _ => CheckJson(bad, good),
                    };
                    // A panda fact is server-made text whose line breaks are meant: only its characters are checked.
                    if (problem is not null && !(type == typeof(BambooReply) && problem.StartsWith("lines:", StringComparison.Ordinal)))
                        failures.Add($"{type.Name} #{v} to {to.Door} {to.Name}: {problem}\n  {Show(bad)}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {rendered} renderings not clean:\n" + string.Join("\n", failures.Take(40)));
    }

    /// <summary>
    /// Issue #22 item 3: each renderer handles every event type. For each door, an event type renders something for
    /// some recipient of that door, unless the door's renderer names it among those it shows nothing for (and then it
    /// renders nothing for anyone); a renderer that throws fails too. A new event type fails here until every door
    /// either renders it or says it does not.
    /// </summary>
    [Fact]
    public async Task Every_renderer_handles_every_event_type_or_names_it_as_shown_nothing()
    {
        _clients.Add(await _server.JoinAsync("plainseer"));
        _clients.Add(await _server.IrcAsync("bareseer"));
        _clients.Add(await LineClient.IrcWithCapsAsync(_server.Irc, "capseer",
            "message-tags server-time account-tag echo-message away-notify invite-notify setname extended-join account-notify " +
            "labeled-response batch multi-prefix userhost-in-names draft/chathistory"));
        var ws = await WsClient.OpenAsync(_server.Http.Port);
        _clients.Add(ws);
        await ws.Send(new { type = "hello", name = "webseer" });
        await ws.Expect("welcome");
        Session Find(string name) => _server.Host.Chat.Sessions.Single(s => s.Name == name);
        var doors = new (DoorKind Door, Session[] To, IReadOnlySet<Type> Nothing)[]
        {
            (DoorKind.Plain, [Find("plainseer")], PlainRenderer.ShowsNothing),
            (DoorKind.Irc, [Find("bareseer"), Find("capseer")], Grove.Server.Doors.Irc.IrcRenderer.ShowsNothing),
            (DoorKind.Web, [Find("webseer")], Grove.Server.Doors.Web.WebRenderer.ShowsNothing),
        };
        var failures = new List<string>();
        foreach (var type in EventTypes())
        {
            var variants = Make(type, Harmless);
            foreach (var (door, to, nothing) in doors)
            {
                string Render(ChatEvent ev, Session s)
                {
                    try { return Text(s, s.Renderer.Render(ev, s)); }
                    catch (Exception ex) { failures.Add($"{type.Name} on the {door} door throws {ex.GetType().Name}: {ex.Message}"); return ""; }
                }
                // An empty notice is the web renderer's fallback for an event it has no rendering for: nothing shown.
                var shown = variants.SelectMany(v => to.Select(s => Render(v, s))).Count(r => r.Length > 0 && !r.Contains("\"text\":\"\"}", StringComparison.Ordinal));
                if (shown == 0 && !nothing.Contains(type)) failures.Add($"{type.Name}: the {door} door renders nothing and does not say it shows nothing for it");
                if (shown > 0 && nothing.Contains(type)) failures.Add($"{type.Name}: the {door} door renders it, yet names it as shown nothing");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static List<Type> EventTypes() => new[] { typeof(ChatEvent).Assembly, typeof(PlainRenderer).Assembly }
        .SelectMany(a => a.GetTypes())
        .Where(t => t.IsSubclassOf(typeof(ChatEvent)) && !t.IsAbstract)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToList();

    /// <summary>A rendering as text: the web door's WebSocket frames become their JSON payloads, one per line.</summary>
    private static string Text(Session to, ReadOnlyMemory<byte> bytes) =>
        to.Door == DoorKind.Web ? string.Concat(Grove.Server.Tests.Doors.Web.ServerFrames.Payloads(bytes).Select(p => p + "\n")) : TextRules.Utf8.GetString(bytes.Span);

    /// <summary>Lines ending in CR LF, none carrying a forbidden character, as many as the harmless rendering has.</summary>
    private static string? CheckLines(string bad, string good, TextTarget rule, bool irc)
    {
        if (bad.Length > 0 && !bad.EndsWith("\r\n", StringComparison.Ordinal)) return "does not end in CR LF";
        var badLines = bad.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var goodLines = good.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in badLines)
            if (line.FirstOrDefault(c => TextRules.IsForbidden(c, rule)) is var c && c != default)
                return $"U+{(int)c:X4} in a line";
        if (badLines.Length != goodLines.Length) return $"lines: {badLines.Length} where harmless text gives {goodLines.Length}";
        if (!irc) return null;
        for (var i = 0; i < badLines.Length; i++)
        {
            // The verb must be where it is with harmless text: a space or a break in a source would move it.
            var b = IrcMessage.Parse(badLines[i]);
            var g = IrcMessage.Parse(goodLines[i]);
            if (b is null || b.Command != g?.Command) return $"line {i} is {b?.Command ?? "unparsable"}, not {g?.Command}";
            if (badLines[i].StartsWith('@') && !badLines[i][1..badLines[i].IndexOf(' ')].Split(';').All(t => IrcMessage.IsValidTagKey(t.Split('=')[0])))
                return $"line {i} carries a tag key outside the message-tags grammar";
        }
        return null;
    }

    /// <summary>JSON objects, one a line, whose strings carry nothing forbidden beyond the line breaks harmless text has.</summary>
    private static string? CheckJson(string bad, string good)
    {
        var badLines = bad.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var goodLines = good.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (badLines.Length != goodLines.Length) return $"lines: {badLines.Length} JSON lines where harmless text gives {goodLines.Length}";
        var badBreaks = 0;
        var goodBreaks = 0;
        foreach (var line in badLines)
            foreach (var s in Strings(JsonDocument.Parse(line).RootElement))
            {
                badBreaks += s.Count(c => c == '\n');
                if (s.FirstOrDefault(c => c != '\n' && TextRules.IsForbidden(c, TextTarget.Line)) is var c && c != default)
                    return $"U+{(int)c:X4} in a JSON string";
            }
        foreach (var line in goodLines)
            foreach (var s in Strings(JsonDocument.Parse(line).RootElement)) goodBreaks += s.Count(c => c == '\n');
        return badBreaks == goodBreaks ? null : $"lines: {badBreaks} line breaks in strings where harmless text gives {goodBreaks}";
    }

    private static IEnumerable<string> Strings(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => [e.GetString()!],
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Strings(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().SelectMany(Strings),
        _ => [],
    };

    private static string Show(string s) => s.Replace("\u001b", "<ESC>").Replace("\r", "<CR>").Replace("\n", "<LF>").Replace("\0", "<NUL>");

    /// <summary>
    /// Instances of an event type with <paramref name="text"/> in every string it has (constructor arguments, init
    /// properties, lists, identities, nested events), one per value of each enum or flag it takes. Fails on a
    /// parameter type it does not know, so a new kind of field cannot slip past.
    /// </summary>
    private static List<ChatEvent> Make(Type type, string text)
    {
        var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var ps = ctor.GetParameters();
        var flagProps = type.GetProperties().Where(p => p.SetMethod?.IsPublic == true && p.PropertyType == typeof(bool)).ToList();
        // Every combination of enum values and flags: an error code or a message kind changes the whole rendering.
        var choices = ps.Select(p => p.ParameterType.IsEnum ? Enum.GetValues(p.ParameterType).Cast<object>().ToArray()
                : p.ParameterType == typeof(bool) ? [false, true] : [null!])
            .Concat(flagProps.Select(_ => new object[] { false, true }))
            .ToList();
        var result = new List<ChatEvent>();
        foreach (var combo in Combinations(choices))
        {
            var args = ps.Select((p, i) => combo[i] ?? Value(p.ParameterType, text, type)).ToArray();
            var ev = (ChatEvent)ctor.Invoke(args);
            foreach (var p in type.GetProperties().Where(p => p.SetMethod?.IsPublic == true))
            {
                var flag = flagProps.IndexOf(p);
                p.SetValue(ev, flag >= 0 ? combo[ps.Length + flag] : Value(p.PropertyType, text, type));
            }
            result.Add(ev);
        }
        return result;
    }

    private static IEnumerable<object?[]> Combinations(List<object[]> choices)
    {
        IEnumerable<object?[]> all = [[]];
        foreach (var options in choices)
            all = all.SelectMany(prefix => options.Select(o => prefix.Append(o).ToArray()));
        return all;
    }

    private static object? Value(Type t, string text, Type owner)
    {
        var origin = new Origin(text, text, text, text);
        if (t == typeof(string)) return text;
        if (t == typeof(int)) return 3;
        if (t == typeof(long)) return 7L;
        if (t == typeof(Grove.Core.Rooms.RoomGates)) return Grove.Core.Rooms.RoomGates.All;
        if (t == typeof(DateTimeOffset) || t == typeof(DateTimeOffset?)) return DateTimeOffset.UnixEpoch.AddYears(56);
        if (t == typeof(Origin)) return origin;
        if (t == typeof(Grove.Core.Commands.CommandKind?)) return Grove.Core.Commands.CommandKind.Kick;
        if (t == typeof(TimeSpan)) return TimeSpan.FromSeconds(3723);
        if (t == typeof(IReadOnlyList<string>) || t == typeof(IReadOnlyList<string?>)) return new[] { text, text };
        if (t == typeof(IReadOnlyList<Origin>)) return new[] { origin, origin };
        if (t == typeof(IReadOnlyList<MemberStatus>)) return new[] { MemberStatus.Operator, MemberStatus.Voice };
        if (t == typeof(IReadOnlyList<RoomSummary>)) return new[] { new RoomSummary(text, 2, text), new RoomSummary(text, 1, null) };
        if (t == typeof(ReadOnlyMemory<byte>)) return (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(":door.made NOTICE * :bytes a door made itself\r\n");
        // A message's gates decide who may read it again, not how it is written.
        if (t == typeof(Grove.Core.Rooms.RoomGates)) return Grove.Core.Rooms.RoomGates.Secret | Grove.Core.Rooms.RoomGates.Keyed;
        if (t == typeof(PrivateMessageEvent)) return Messages(text)[1];
        if (t == typeof(Grove.Core.History.HistoryPage)) return new Grove.Core.History.HistoryPage(text, Messages(text), true, false, Grove.Core.History.HistoryAnchor.Latest());
        if (t == typeof(IReadOnlyList<Grove.Core.History.ConversationSummary>))
            return new[] { new Grove.Core.History.ConversationSummary(text, DateTimeOffset.UnixEpoch), new Grove.Core.History.ConversationSummary(text, DateTimeOffset.UnixEpoch.AddDays(1)) };
        // Nested events (history, echo, labels): a room message and a private one, never the owner type itself.
        if (t == typeof(ChatEvent)) return Messages(text)[0];
        if (t == typeof(IReadOnlyList<ChatEvent>)) return owner == typeof(ChatEvent) ? Array.Empty<ChatEvent>() : Messages(text);
        throw new InvalidOperationException($"{owner.Name}: no hostile value for a {t.Name}; teach this test the new field type");
    }

    private static ChatEvent[] Messages(string text) =>
    [
        new RoomMessageEvent(5, DateTimeOffset.UnixEpoch, text, text, text, MessageKind.Normal) { By = new Origin(text, text, text, text), ClientTags = "+" + text, IsHistory = true },
        new PrivateMessageEvent(6, DateTimeOffset.UnixEpoch, text, text, text, MessageKind.Action) { By = new Origin(text, text, text, text), ClientTags = "+a=" + text },
    ];
}
