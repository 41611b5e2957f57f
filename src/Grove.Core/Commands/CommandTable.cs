namespace Grove.Core.Commands;

/// <summary>One command: its names on the plain door, its syntax and what it does.</summary>
public sealed record CommandEntry(CommandKind Kind, string[] Aliases, string Syntax, string Description);

/// <summary>
/// The table of commands. Adding a command is one entry here, one parse case in <see cref="PlainCommandParser"/>
/// and one handler in the core. The plain door's /help is rendered from this table.
/// </summary>
public static class CommandTable
{
    public static readonly IReadOnlyList<CommandEntry> Entries =
    [
        new(CommandKind.Help, ["/help", "!help"], "/help", "show this list of commands"),
        new(CommandKind.Who, ["/who", "@grove", "!who"], "/who [#room]", "who is online (or in a room)"),
        new(CommandKind.Msg, ["/msg", "!msg"], "/msg NAME TEXT", "send a private message"),
        new(CommandKind.Me, ["/me"], "/me ACTION", "say what you are doing, as in * alice waves"),
        new(CommandKind.Nick, ["/nick"], "/nick NEWNAME", "change your name"),
        new(CommandKind.Join, ["/join"], "/join #room", "go to a room (it is created if needed)"),
        new(CommandKind.Part, ["/part"], "/part [#room] [REASON]", "leave a room"),
        new(CommandKind.Rooms, ["/rooms", "/list"], "/rooms", "list the rooms with their member counts and topics"),
        new(CommandKind.Topic, ["/topic"], "/topic [TEXT]", "show or set the topic of your room"),
        new(CommandKind.History, ["/history"], "/history [#room | NAME] [N]", "older messages of your room (or another), or of a private conversation; each call pages back"),
        new(CommandKind.Bamboo, ["/bamboo", "@bamboo"], "/bamboo", "a random panda fact"),
        new(CommandKind.Quit, ["/quit", "@leaves", "!logout", "bye", "exit"], "/quit [REASON]", "leave the chat"),
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

    private static readonly Dictionary<string, CommandEntry> ByAlias = BuildAliases();

    private static Dictionary<string, CommandEntry> BuildAliases()
    {
        var map = new Dictionary<string, CommandEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in Entries)
            foreach (var a in e.Aliases)
                map.Add(a, e);
        return map;
    }

    public static CommandEntry? Find(string alias) => ByAlias.GetValueOrDefault(alias);

    public static CommandEntry Get(CommandKind kind) => Entries.First(e => e.Kind == kind);
}
