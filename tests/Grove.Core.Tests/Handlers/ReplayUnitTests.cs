using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.Handlers;
using Grove.Core.People;
using Grove.Core.Pipeline;
using Grove.Core.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grove.Core.Tests.Handlers;

/// <summary>
/// The core is a state machine: handlers take a stamped command and the state and write effects, reading no clock, so
/// the same commands applied to two fresh states give the same state and the same effects (issue #22, item 1).
/// </summary>
public sealed class ReplayUnitTests
{
    private sealed class NoRenderer : IEventRenderer
    {
        public int EncodingKey(Session recipient) => 1;
        public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient) => ReadOnlyMemory<byte>.Empty;
    }

    private sealed class NoControl : IConnectionControl
    {
        public void Close(bool graceful) { }
    }

    /// <summary>One fresh core without its loops: state, sink, handlers and three connections.</summary>
    private sealed class Replica
    {
        public readonly ChatState State;
        public readonly EffectSink Sink = new();
        public readonly ChatHandlers Handlers;
        public readonly Session[] People;

        public Replica(ChatOptions options)
        {
            State = new ChatState(options);
            Handlers = new ChatHandlers(State, Sink, options, new ChatMetrics(), NullLogger.Instance);
            People = [Connect(DoorKind.Plain, "10.0.0.1"), Connect(DoorKind.Irc, "10.0.0.2"), Connect(DoorKind.Web, "10.0.0.3")];
        }

        private static Session Connect(DoorKind door, string address)
        {
            // Each door's own rules, as its door passes them: the plain door's person is in one room at a time, IRC joins none.
            var policy = door switch
            {
                DoorKind.Plain => new DoorPolicy(SingleRoom: true, AutoJoinDefaultRoom: true, Host: "plain.grove"),
                DoorKind.Irc => new DoorPolicy(SingleRoom: false, AutoJoinDefaultRoom: false, Host: "irc.grove"),
                _ => DoorPolicy.ManyRooms(door),
            };
            var s = new Session(door, address, new NoRenderer(), new NoControl(), 1 << 20, policy) { ConnectedAt = Start };
            s.TouchAt(1_000);
            s.SetGuestOwner("g:" + address); // drawn at random per connection, like its address an input to the core
            return s;
        }

        public void Apply(int person, ChatCommand command, CommandStamp stamp)
        {
            Handlers.Stamp = stamp;
            Handlers.Execute(People[person], command);
        }
    }

    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    // Everyday commands from three people on three doors, in one order.
    private static readonly (int Person, ChatCommand Command)[] Script =
    [
        (0, new ChatCommand(CommandKind.Register, "alice")),
        (1, new ChatCommand(CommandKind.Register, "bob")),
        (2, new ChatCommand(CommandKind.Register, "carol")),
        (1, new ChatCommand(CommandKind.Join, "#garden")),
        (0, new ChatCommand(CommandKind.Join, "#garden")),
        (2, new ChatCommand(CommandKind.Monitor, Text: "+", Args: ["dave", "alice"])),
        (0, new ChatCommand(CommandKind.Say, Text: "hello, garden")),
        (1, new ChatCommand(CommandKind.Topic, "#garden", Text: "roses")),
        (1, new ChatCommand(CommandKind.Msg, "alice", Text: "psst")),
        (0, new ChatCommand(CommandKind.Away, Text: "tea")),
        (2, new ChatCommand(CommandKind.Whois, "alice")),
        (2, new ChatCommand(CommandKind.Bamboo)),
        (1, new ChatCommand(CommandKind.Mode, "#garden", Text: "+m")),
        (0, new ChatCommand(CommandKind.Nick, "alicia")),
        (1, new ChatCommand(CommandKind.Kick, "#garden", Text: "bye", Args: ["alicia"])),
        (2, new ChatCommand(CommandKind.Who)),
        (0, new ChatCommand(CommandKind.Quit, Text: "done")),
        (1, new ChatCommand(CommandKind.Rooms)),
    ];

    private static (string State, string Effects) Run()
    {
        var replica = new Replica(new ChatOptions());
        for (var i = 0; i < Script.Length; i++)
            replica.Apply(Script[i].Person, Script[i].Command,
                new CommandStamp(Start.AddSeconds(i), TimeSpan.FromSeconds(100 + i), 1_000 + 1_000L * i));
        return (DescribeState(replica), DescribeEffects(replica.Sink.Batch));
    }

    [Fact]
    public void The_same_stamped_commands_on_two_fresh_states_give_the_same_state_and_effects()
    {
        var first = Run();
        var second = Run();
        Assert.Contains("hello, garden", first.Effects);
        Assert.Contains("roses", first.State);
        Assert.Equal(first.State, second.State);
        Assert.Equal(first.Effects, second.Effects);
    }

    private static string DescribeState(Replica r)
    {
        var sb = new StringBuilder();
        sb.Append("last id ").Append(r.State.LastId).AppendLine();
        foreach (var (key, s) in r.State.ByName.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.AppendLine($"person {key}: {s.Name} {s.State} away={s.AwayMessage} rooms={string.Join(',', s.Rooms.Select(x => x.Name))} watching={string.Join(',', s.Watching)}");
        foreach (var (key, room) in r.State.Rooms.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.AppendLine($"room {key}: {room.Name} topic={room.Topic} by={room.TopicSetBy} at={room.TopicSetAt:O} modes={room.Modes} made={room.CreatedAt:O} members={string.Join(',', room.Members.Select(m => m.Name))}");
        foreach (var w in r.State.WhoWas) sb.AppendLine($"was {w}");
        foreach (var m in r.Sink.Batch.Messages) sb.AppendLine($"stored {m}");
        return sb.ToString();
    }

    private static string DescribeEffects(Batch batch)
    {
        var sb = new StringBuilder();
        foreach (var e in batch.Effects)
        {
            var to = e.Target?.Name ?? string.Join(',', (e.Targets ?? []).Where(t => !ReferenceEquals(t, e.Except)).Select(t => t.Name));
            sb.Append(e.Kind).Append(" to ").Append(to).Append(' ').Append(e.Reason).Append(": ");
            if (e.Event is { } ev) Describe(ev, sb);
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>Every public property of an event, nested events and lists included: what any renderer could use.</summary>
    internal static void Describe(object? value, StringBuilder sb)
    {
        switch (value)
        {
            case null: sb.Append("null"); return;
            case string or DateTimeOffset or TimeSpan or Enum or ValueType: sb.Append(value is IFormattable f ? f.ToString(null, System.Globalization.CultureInfo.InvariantCulture) : value); return;
            case ChatEvent ev:
                sb.Append(ev.GetType().Name).Append('{');
                foreach (var p in ev.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    if (p.GetIndexParameters().Length > 0) continue;
                    sb.Append(p.Name).Append('=');
                    Describe(p.GetValue(ev), sb);
                    sb.Append(';');
                }
                sb.Append('}');
                return;
            case IEnumerable list:
                sb.Append('[');
                foreach (var item in list) { Describe(item, sb); sb.Append(','); }
                sb.Append(']');
                return;
            default: sb.Append(value); return;
        }
    }
}

/// <summary>Handlers read time from the command's stamp only: no clock appears in their code.</summary>
public sealed class HandlersReadNoClockUnitTests
{
    private static readonly Regex Clock = new(@"\b(?:TimeProvider|DateTime(?:Offset)?\.(?:UtcNow|Now|Today)|Stopwatch|Environment\.TickCount(?:64)?|GetUtcNow|GetTimestamp|new\s+Random\b|Random\.Shared)\b");

    internal static List<string> ClockReads(string folder) =>
        Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && !x.line.TrimStart().StartsWith("///", StringComparison.Ordinal) && Clock.IsMatch(x.line))
            .Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();

    [Fact]
    public void Handler_and_state_code_never_reads_a_clock()
    {
        var core = Path.Combine(MonotonicClockUnitTests.RepositoryRoot(), "src", "Grove.Core");
        var found = ClockReads(Path.Combine(core, "Handlers")).Concat(ClockReads(Path.Combine(core, "State"))).ToList();
        Assert.True(found.Count == 0, "Handlers read the time from the command's stamp (Stamp, Now):\n" + string.Join('\n', found));
    }

    [Theory]
    [InlineData("var ev = new RoomMessageEvent(++_state.LastId, _time.GetUtcNow(), room.Name, s.Name!, text, kind);")]
    [InlineData("var idle = Environment.TickCount64 - p.LastInputTicks;")]
    [InlineData("room.TopicSetAt = DateTimeOffset.UtcNow;")]
    [InlineData("var started = Stopwatch.GetTimestamp();")]
    [InlineData("Send(s, new BambooReply(PandaFacts.Pick(new Random())));")]
    public void The_scan_catches_a_clock(string code)
    {
        var folder = Path.Combine(Path.GetTempPath(), "grove-clock-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "Sample.cs"), code);
            Assert.NotEmpty(ClockReads(folder));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
