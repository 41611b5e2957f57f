namespace Grove.Core.Commands;

/// <summary>The doors a command entry or alias belongs to.</summary>
[Flags]
public enum DoorSet { Plain = 1, Web = 2 }

/// <summary>
/// One command: its slash names (typed on the plain door and in the browser), its syntax and what it does.
/// </summary>
public sealed record CommandEntry(CommandKind Kind, string[] Aliases, string Syntax, string Description)
{
    /// <summary>The doors that accept the entry and list it in /help (the browser's /logout is the browser's own).</summary>
    public DoorSet On { get; init; } = DoorSet.Plain | DoorSet.Web;

    /// <summary>
    /// The seed apps' aliases typed without a slash ("bye", "@leaves", "!who"). Only a line-based client (netcat,
    /// grove connect) sends them as typed; the browser sends such a line as a message, so its help leaves them out.
    /// </summary>
    public string[] PlainAliases { get; init; } = [];

    /// <summary>Every name of the command that works on this door, the main one first.</summary>
    public IEnumerable<string> AliasesOn(DoorSet door) => door == DoorSet.Plain ? Aliases.Concat(PlainAliases) : Aliases;
}

/// <summary>
/// The table of commands. Adding a command is one entry here, one parse case in <see cref="PlainCommandParser"/>
/// and one handler in the core. Each door's /help is rendered from this table (<see cref="HelpLines"/>).
/// </summary>
public static class CommandTable
{
    public static readonly IReadOnlyList<CommandEntry> Entries =
    [
        new(CommandKind.Help, ["/help"], "/help", "show this list of commands") { PlainAliases = ["!help"] },
        new(CommandKind.Who, ["/who"], "/who [#room]", "who is online (or in a room)") { PlainAliases = ["@grove", "!who"] },
        new(CommandKind.Msg, ["/msg"], "/msg NAME TEXT", "send a private message") { PlainAliases = ["!msg"] },
        new(CommandKind.Me, ["/me"], "/me ACTION", "say what you are doing, as in * alice waves"),
        new(CommandKind.Nick, ["/nick"], "/nick NEWNAME", "change your name"),
        new(CommandKind.Join, ["/join"], "/join #room", "go to a room (it is created if needed)"),
        new(CommandKind.Part, ["/part"], "/part [#room] [REASON]", "leave a room"),
        new(CommandKind.Rooms, ["/rooms", "/list"], "/rooms", "list the rooms with their member counts and topics"),
        new(CommandKind.Topic, ["/topic"], "/topic [TEXT]", "show or set the topic of your room"),
        new(CommandKind.History, ["/history"], "/history [#room | NAME] [N]", "older messages of your room (or another), or of a private conversation; each call pages back"),
        new(CommandKind.Bamboo, ["/bamboo"], "/bamboo", "a random panda fact") { PlainAliases = ["@bamboo"] },
        new(CommandKind.Quit, ["/quit"], "/quit [REASON]", "leave the chat") { PlainAliases = ["@leaves", "!logout", "bye", "exit"] },
        // The browser handles /logout itself (it ends its token with the web door's "logout"); typed as a command on
        // the web door it leaves like /quit.
        new(CommandKind.Quit, ["/logout"], "/logout", "log out: this browser forgets your login and the server ends it") { On = DoorSet.Web },
        new(CommandKind.RegisterAccount, ["/register"], "/register PASSWORD", "make your current name your account, kept by a password"),
        new(CommandKind.Login, ["/login"], "/login NAME PASSWORD", "log in to your account (from any door, on several connections at once)"),
        new(CommandKind.RoomRegister, ["/room"], "/room register [#room]", "claim a room for your account: its modes, bans and operators outlive restarts"),
        new(CommandKind.Kick, ["/kick"], "/kick [#room] NAME [REASON]", "put someone out of a room (room operators)"),
        new(CommandKind.Ban, ["/ban"], "/ban [#room | *] NAME|MASK", "ban a name, account or mask from a room, and kick; * bans from the whole server (server operators)"),
        new(CommandKind.Unban, ["/unban"], "/unban [#room | *] NAME|MASK", "lift a ban"),
        new(CommandKind.Mute, ["/mute"], "/mute [#room] NAME|MASK", "keep someone from speaking in a room"),
        new(CommandKind.Unmute, ["/unmute"], "/unmute [#room] NAME|MASK", "let them speak again"),
        new(CommandKind.Op, ["/op"], "/op [#room] NAME", "make someone an operator of a room"),
        new(CommandKind.Deop, ["/deop"], "/deop [#room] NAME", "take operator away"),
        new(CommandKind.Voice, ["/voice"], "/voice [#room] NAME", "let someone speak in a moderated room"),
        new(CommandKind.Devoice, ["/devoice"], "/devoice [#room] NAME", "take voice away"),
        new(CommandKind.Mode, ["/mode"], "/mode [#room] +t|-t|+i|-i|+m|-m", "room settings: t only operators set the topic, i invite-only, m moderated"),
        new(CommandKind.Invite, ["/invite"], "/invite NAME [#room]", "invite someone to a room"),
        new(CommandKind.Audit, ["/audit"], "/audit [#room | *]", "who did what in a room (its owner), or on the server (server operators)"),
        new(CommandKind.Kill, ["/kill"], "/kill NAME [REASON]", "disconnect someone (server operators)"),
        new(CommandKind.Lockdown, ["/lockdown"], "/lockdown on|off", "refuse new guests; accounts still sign in (server operators)"),
    ];

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

    public static CommandEntry? Find(string alias, DoorSet door = DoorSet.Plain) =>
        (door == DoorSet.Web ? WebByAlias : PlainByAlias).GetValueOrDefault(alias);

    /// <summary>The /help of a door, one line each, without the door's own line prefix.</summary>
    public static IEnumerable<string> HelpLines(DoorSet door)
    {
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

    public static CommandEntry Get(CommandKind kind) => Entries.First(e => e.Kind == kind);
}
