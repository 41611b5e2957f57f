namespace Grove.Core.Commands;

/// <summary>The doors a command entry or alias belongs to.</summary>
[Flags]
public enum DoorSet { Plain = 1, Web = 2, Irc = 4 }

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

    /// <summary>
    /// The form IRC users send to the Grove service (<c>PRIVMSG Grove :bamboo</c>); null when IRC has its own
    /// command for it instead (JOIN, PRIVMSG, TOPIC…) or none.
    /// </summary>
    public string? IrcSyntax { get; init; }

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
        new(CommandKind.Help, ["/help"], "/help", "show this list of commands") { PlainAliases = ["!help"], IrcSyntax = "help" },
        new(CommandKind.Who, ["/who"], "/who [#room]", "who is online (or in a room)") { PlainAliases = ["@grove", "!who"], IrcSyntax = "who [#room]" },
        new(CommandKind.Whois, ["/whois"], "/whois NAME", "who someone is: account, away text, rooms you share, idle time, connected since"),
        new(CommandKind.Msg, ["/msg"], "/msg NAME TEXT", "send a private message") { PlainAliases = ["!msg"] },
        new(CommandKind.Me, ["/me"], "/me ACTION", "say what you are doing, as in * alice waves"),
        new(CommandKind.Nick, ["/nick"], "/nick NEWNAME", "change your name"),
        new(CommandKind.Join, ["/join"], "/join #room", "go to a room (it is created if needed)"),
        new(CommandKind.Part, ["/part"], "/part [#room] [REASON]", "leave a room"),
        new(CommandKind.Rooms, ["/rooms", "/list"], "/rooms", "list the rooms with their member counts and topics") { IrcSyntax = "rooms" },
        new(CommandKind.Topic, ["/topic"], "/topic [TEXT]", "show or set the topic of your room"),
        new(CommandKind.History, ["/history"], "/history [#room | NAME] [N]", "older messages of your room (or another), or of a private conversation; each call pages back") { IrcSyntax = "history #room|NICK [N]" },
        new(CommandKind.Bamboo, ["/bamboo"], "/bamboo", "a random panda fact") { PlainAliases = ["@bamboo"], IrcSyntax = "bamboo" },
        new(CommandKind.Quit, ["/quit"], "/quit [REASON]", "leave the chat") { PlainAliases = ["@leaves", "!logout", "bye", "exit"] },
        // The browser handles /logout itself (it ends its token with the web door's "logout"); typed as a command on
        // the web door it leaves like /quit.
        new(CommandKind.Quit, ["/logout"], "/logout", "log out: this browser forgets your login and the server ends it") { On = DoorSet.Web },
        new(CommandKind.RegisterAccount, ["/register"], "/register PASSWORD", "make your current name your account, kept by a password") { IrcSyntax = "register PASSWORD" },
        new(CommandKind.Login, ["/login"], "/login NAME PASSWORD", "log in to your account (from any door, on several connections at once)") { IrcSyntax = "login NICK PASSWORD" },
        new(CommandKind.RoomRegister, ["/room"], "/room register [#room]", "claim a room for your account: its modes, bans and operators outlive restarts") { IrcSyntax = "room register #room" },
        new(CommandKind.Kick, ["/kick"], "/kick [#room] NAME [REASON]", "put someone out of a room (room operators)"),
        new(CommandKind.Ban, ["/ban"], "/ban [#room | *] NAME|MASK", "ban a name, account or mask from a room, and kick; * bans from the whole server (server operators)") { IrcSyntax = "ban #room|* NICK|MASK" },
        new(CommandKind.Unban, ["/unban"], "/unban [#room | *] NAME|MASK", "lift a ban") { IrcSyntax = "unban #room|* NICK|MASK" },
        new(CommandKind.Mute, ["/mute"], "/mute [#room] NAME|MASK", "keep someone from speaking in a room") { IrcSyntax = "mute #room NICK|MASK" },
        new(CommandKind.Unmute, ["/unmute"], "/unmute [#room] NAME|MASK", "let them speak again") { IrcSyntax = "unmute #room NICK|MASK" },
        new(CommandKind.Op, ["/op"], "/op [#room] NAME", "make someone an operator of a room") { IrcSyntax = "op #room NICK" },
        new(CommandKind.Deop, ["/deop"], "/deop [#room] NAME", "take operator away") { IrcSyntax = "deop #room NICK" },
        new(CommandKind.Voice, ["/voice"], "/voice [#room] NAME", "let someone speak in a moderated room") { IrcSyntax = "voice #room NICK" },
        new(CommandKind.Devoice, ["/devoice"], "/devoice [#room] NAME", "take voice away") { IrcSyntax = "devoice #room NICK" },
        new(CommandKind.Mode, ["/mode"], "/mode [#room] +t|-t|+i|-i|+m|-m", "room settings: t only operators set the topic, i invite-only, m moderated"),
        new(CommandKind.Invite, ["/invite"], "/invite NAME [#room]", "invite someone to a room"),
        new(CommandKind.Audit, ["/audit"], "/audit [#room | *]", "who did what in a room (its owner), or on the server (server operators)") { IrcSyntax = "audit #room|*" },
        new(CommandKind.Kill, ["/kill"], "/kill NAME [REASON]", "disconnect someone (server operators)"),
        new(CommandKind.Lockdown, ["/lockdown"], "/lockdown on|off", "refuse new guests; accounts still sign in (server operators)") { IrcSyntax = "lockdown on|off" },
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

    public static CommandEntry Get(CommandKind kind) => Entries.First(e => e.Kind == kind);
}
