namespace Grove.Core.Commands;

/// <summary>The doors a command entry or alias belongs to.</summary>
[Flags]
public enum DoorSet { Plain = 1, Web = 2, Irc = 4 }

/// <summary>Who may run a command. The command loop checks <see cref="BeforeName"/>, <see cref="Named"/> and
/// <see cref="ServerOperator"/> before the handler runs; the others need the room or account the command names, so
/// the handler checks them once it has found it.</summary>
public enum Access { BeforeName, Named, LoggedIn, RoomOperator, ServerOperator }

/// <summary>Where the room a person is looking at goes when a command names none (the web door's open room, the
/// plain door's current room).</summary>
public enum RoomDefault { None, Target, FirstArg }

/// <summary>How the words after a command's name become its <see cref="ChatCommand"/> (<see cref="PlainCommandParser"/>).</summary>
public enum ArgShape
{
    None,             // nothing (anything typed after is ignored, as in the seed apps)
    Text,             // TEXT → Text
    OptionalText,     // [TEXT] → Text
    Name,             // NAME → Target
    OptionalName,     // [NAME] → Target
    NameText,         // NAME TEXT → Target, Text
    NameOptionalText, // NAME [TEXT] → Target, Text
    RoomThenText,     // [#room] [TEXT] → Target, Text
    RoomNameReason,   // [#room] NAME [REASON] → Target, Args[0], Text
    RoomWho,          // [#room] NAME|MASK → Target, Args[0]
    RoomOrStarWho,    // [#room | *] NAME|MASK → Target, Args[0]
    Own,              // its own words: a case in PlainCommandParser.ParseOwn
}

/// <summary>
/// One command, everything about it in one place: its names on each door, syntax and help line, how its words parse,
/// how many it needs, who may run it, whether it defaults to the room being looked at, and its handler.
/// </summary>
public sealed record CommandEntry(CommandKind Kind, string[] Aliases, string Syntax, string Description)
{
    /// <summary>The doors that accept the entry and list it in /help (none: a door's own form reaches it, as IRC's verbs).</summary>
    public DoorSet On { get; init; } = DoorSet.Plain | DoorSet.Web;

    /// <summary>
    /// The seed apps' aliases typed without a slash ("bye", "@leaves", "!who"). Only a line-based client (netcat,
    /// grove connect) sends them as typed; the browser sends such a line as a message, so its help leaves them out.
    /// </summary>
    public string[] PlainAliases { get; init; } = [];

    /// <summary>
    /// The form IRC users send to the Grove service (<c>PRIVMSG Grove :bamboo</c>); null when IRC has its own
    /// command for it instead (JOIN, PRIVMSG, TOPIC…) or none.
    /// </summary>
    public string? IrcSyntax { get; init; }

    public ArgShape Shape { get; init; }

    /// <summary>The fewest words after the name (after an optional room); fewer gets "Usage: <see cref="Syntax"/>".</summary>
    public int MinArgs { get; init; }

    public Access Access { get; init; } = Access.Named;

    public RoomDefault DefaultsToRoom { get; init; }

    /// <summary>The handler, on the command loop (null: doors run it themselves, as logging in).</summary>
    internal Action<Handlers.ChatHandlers, People.Session, ChatCommand>? Run { get; init; }

    /// <summary>Every name of the command that works on this door, the main one first.</summary>
    public IEnumerable<string> AliasesOn(DoorSet door) => door == DoorSet.Plain ? Aliases.Concat(PlainAliases) : Aliases;

    /// <summary>The command with the room being looked at filled in, when it names none and defaults to it.</summary>
    public ChatCommand WithRoom(ChatCommand c, string? room) => room is null ? c : DefaultsToRoom switch
    {
        RoomDefault.Target when c.Target is null => c with { Target = room },
        RoomDefault.FirstArg when c.Args is not { Count: > 0 } => c with { Args = [room] },
        _ => c,
    };
}

/// <summary>
/// The command registry: lookups over <see cref="CommandEntries"/>. Adding a command is one entry there and one
/// handler in the core (DEVELOPING.md). Each door's /help is rendered from it (<see cref="HelpLines"/>), the plain
/// door and the browser parse with it, IRC users reach its <see cref="CommandEntry.IrcSyntax"/> forms.
/// </summary>
public static class CommandTable
{
    public static IReadOnlyList<CommandEntry> Entries => CommandEntries.All;

    // Each kind's entry, by the enum's value: the command loop looks one up for every message.
    private static readonly CommandEntry[] ByKind = BuildByKind();

    private static CommandEntry[] BuildByKind()
    {
        var byKind = new CommandEntry[Enum.GetValues<CommandKind>().Length];
        foreach (var e in CommandEntries.All) byKind[(int)e.Kind] ??= e;
        return byKind;
    }

    private static readonly Dictionary<string, CommandEntry> PlainByAlias = BuildAliases(DoorSet.Plain);
    private static readonly Dictionary<string, CommandEntry> WebByAlias = BuildAliases(DoorSet.Web);

    // A raw WebSocket client may still send the seeds' aliases as commands, so the web door accepts them too.
    private static Dictionary<string, CommandEntry> BuildAliases(DoorSet door)
    {
        var map = new Dictionary<string, CommandEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in Entries.Where(e => e.On.HasFlag(door)))
            foreach (var a in e.Aliases.Concat(e.PlainAliases))
                map.Add(a, e);
        return map;
    }

    /// <summary>True when IRC users reach the command through the Grove service.</summary>
    public static bool OnIrcService(CommandKind kind) => Entries.Any(e => e.Kind == kind && e.IrcSyntax is not null);

    public static CommandEntry? Find(string alias, DoorSet door = DoorSet.Plain) =>
        (door == DoorSet.Web ? WebByAlias : PlainByAlias).GetValueOrDefault(alias);

    /// <summary>The /help of a door, one line each, without the door's own line prefix.</summary>
    public static IEnumerable<string> HelpLines(DoorSet door)
    {
        if (door == DoorSet.Irc)
        {
            yield return "Grove's own commands, sent as PRIVMSG Grove :<command>:";
            foreach (var e in Entries.Where(e => e.IrcSyntax is not null))
                yield return $"  {e.IrcSyntax,-26} {e.Description}";
            yield return "An account logs in with SASL PLAIN or PASS nick:password; BAMBOO is a command of its own too.";
            yield return "Everything else is ordinary IRC: JOIN, PRIVMSG, MODE, WHOIS…; HELP lists the commands.";
            yield break;
        }
        yield return "Commands:";
        foreach (var e in Entries.Where(e => e.On.HasFlag(door)))
        {
            var also = e.AliasesOn(door).Skip(1).ToArray();
            yield return $"  {e.Syntax}{(also.Length == 0 ? "" : $" (also {string.Join(", ", also)})")}: {e.Description}";
        }
        yield return door == DoorSet.Web
            ? "Anything else you type is sent to the room or person you are looking at (start with // to send a line beginning with /)."
            : "Anything else you type is sent to your room.";
    }

    /// <summary>A kind's entry (its first, where a door has a second name of its own, as the browser's /logout).</summary>
    public static CommandEntry Get(CommandKind kind) => ByKind[(int)kind];
}
