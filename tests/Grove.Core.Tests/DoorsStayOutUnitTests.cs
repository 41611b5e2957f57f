using System.Text.RegularExpressions;
using Grove.Core.Events;

namespace Grove.Core.Tests;

/// <summary>
/// Issue #22, "no door code runs inside the core": the core takes no door code but a query on its command loop, carries
/// no door's bytes in its events, and decides nothing by which door a person came in by (it only names the door, in
/// logs, metrics and the audit log); a door's rules for its people come with the connection (DoorPolicy). The web
/// renderer renders its own answers, with no call into the plain door's.
/// </summary>
public sealed class DoorsStayOutUnitTests
{
    [Fact]
    public void The_door_facing_surface_takes_no_door_code_but_a_query_on_the_command_loop()
    {
        var found = typeof(IChatCore).GetMethods()
            .SelectMany(m => m.GetParameters().Select(p => (m, p)))
            .Where(x => typeof(Delegate).IsAssignableFrom(x.p.ParameterType) && x.p.ParameterType != typeof(Func<LoopView, ChatEvent?>))
            .Select(x => $"{x.m.Name}({x.p.ParameterType.Name} {x.p.Name})")
            .ToList();
        Assert.True(found.Count == 0, "The core answers with events its renderers shape; door code it would run:\n" + string.Join('\n', found));
    }

    [Fact]
    public void No_core_event_carries_a_door_s_bytes()
    {
        var found = typeof(ChatEvent).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(ChatEvent)))
            .SelectMany(t => t.GetProperties().Where(p => p.PropertyType == typeof(ReadOnlyMemory<byte>) || p.PropertyType == typeof(byte[])).Select(p => $"{t.Name}.{p.Name}"))
            .ToList();
        Assert.True(found.Count == 0, "A door's own answer is its own event type, which only its renderer knows:\n" + string.Join('\n', found));
    }

    // A decision by door: comparing or switching on a session's door, or naming one door's kind.
    private static readonly Regex ByDoor = new(@"\bDoor\s*(?:==|!=|\bswitch\b|\bis\b)|\bDoorKind\.(?:Plain|Irc|Web)\b");

    internal static List<string> DoorDecisions(string folder) =>
        Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            // Metrics count connections per door, and DoorName names one in logs: naming, not deciding.
            .Where(f => Path.GetFileName(f) != "ChatMetrics.cs")
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && !x.line.Contains("DoorName(DoorKind", StringComparison.Ordinal)
                && ByDoor.IsMatch(x.line))
            .Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();

    [Fact]
    public void The_core_decides_nothing_by_door()
    {
        var found = DoorDecisions(Path.Combine(MonotonicClockUnitTests.RepositoryRoot(), "src", "Grove.Core"));
        Assert.True(found.Count == 0, "Renderers decide how an event looks on their door, DoorPolicy carries a door's rules:\n" + string.Join('\n', found));
    }

    [Theory]
    [InlineData("Send(other, other.Door == DoorKind.Irc ? ev : new PrivateSentReply(ev));")]
    [InlineData("public bool SingleRoom => Door == DoorKind.Plain;")]
    [InlineData("public string Host => Door switch { _ => \"web.grove\" };")]
    public void The_scan_catches_a_decision_by_door(string code)
    {
        var folder = Path.Combine(Path.GetTempPath(), "grove-door-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "Sample.cs"), code);
            Assert.NotEmpty(DoorDecisions(folder));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Theory]
    [InlineData("Web")]
    [InlineData("Plain")]
    [InlineData("Irc")]
    public void A_door_renders_its_own_answers_with_no_call_into_another_door_s_renderer(string door)
    {
        var doors = Path.Combine(MonotonicClockUnitTests.RepositoryRoot(), "src", "Grove.Server", "Doors");
        var others = new[] { "Plain", "Irc", "Web" }.Where(d => d != door).Select(d => d + "Renderer").ToArray();
        var found = Directory.EnumerateFiles(Path.Combine(doors, door), "*.cs")
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(x => others.Any(o => x.line.Contains(o, StringComparison.Ordinal)))
            .Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(found.Count == 0, "A door's words are its own (a TextReply's lines are shared by every door):\n" + string.Join('\n', found));
    }
}
