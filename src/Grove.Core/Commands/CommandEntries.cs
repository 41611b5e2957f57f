using Grove.Core.Events;

namespace Grove.Core.Commands;

/// <summary>
/// Every command, one entry each (see <see cref="CommandEntry"/>). The order is the order of /help. A new command is
/// an entry here and its handler (DEVELOPING.md, "Adding a command").
/// </summary>
internal static class CommandEntries
{
    private const DoorSet DoorsOwn = 0; // reached by a door's own form only (IRC's verbs, the web's hello); not in /help

    public static readonly IReadOnlyList<CommandEntry> All =
    [
        new(CommandKind.Help, ["/help"], "/help", "show this list of commands")
            { PlainAliases = ["!help"], IrcSyntax = "help", Access = Access.BeforeName, Run = static (h, s, _) => h.Send(s, HelpReply.Instance) },
        new(CommandKind.Who, ["/who"], "/who [#room]", "who is online (or in a room)")
            { PlainAliases = ["@grove", "!who"], IrcSyntax = "who [#room]", Shape = ArgShape.OptionalName, Run = static (h, s, c) => h.Who(s, c.Target) },
        new(CommandKind.Whois, ["/whois"], "/whois NAME", "who someone is: account, away text, rooms you share, idle time, connected since")
            { Shape = ArgShape.Name, MinArgs = 1, Run = static (h, s, c) => h.Whois(s, c.Target ?? "") },
        new(CommandKind.Msg, ["/msg"], "/msg NAME TEXT", "send a private message")
            { PlainAliases = ["!msg"], Shape = ArgShape.NameText, MinArgs = 2, Run = static (h, s, c) => h.PrivateMessage(s, c.Target ?? "", c.Text ?? "", MessageKind.Normal, c) },
        new(CommandKind.Me, ["/me"], "/me ACTION", "say what you are doing, as in * alice waves")
            { Shape = ArgShape.Text, MinArgs = 1, DefaultsToRoom = RoomDefault.Target, Run = static (h, s, c) => h.Me(s, c) },
        new(CommandKind.Nick, ["/nick"], "/nick NEWNAME", "change your name")
            { Shape = ArgShape.Name, MinArgs = 1, Run = static (h, s, c) => h.ChangeName(s, c.Target ?? "") },
        new(CommandKind.Join, ["/join"], "/join #room", "go to a room (it is created if needed)")
            { Shape = ArgShape.Name, MinArgs = 1, Run = static (h, s, c) => h.Join(s, c.Target ?? "", c.Args is { Count: > 0 } a ? a[0] : null) },
        new(CommandKind.Part, ["/part"], "/part [#room] [REASON]", "leave a room")
            { Shape = ArgShape.RoomThenText, DefaultsToRoom = RoomDefault.Target, Run = static (h, s, c) => h.Part(s, c.Target, c.Text) },
        new(CommandKind.Rooms, ["/rooms", "/list"], "/rooms", "list the rooms with their member counts and topics")
            { IrcSyntax = "rooms", Run = static (h, s, _) => h.ListRooms(s) },
        new(CommandKind.Topic, ["/topic"], "/topic [TEXT]", "show or set the topic of your room")
            { Shape = ArgShape.OptionalText, DefaultsToRoom = RoomDefault.Target, Run = static (h, s, c) => h.Topic(s, c.Target, c.Text) },
        new(CommandKind.History, ["/history"], "/history [#room | NAME] [N]", "older messages of your room (or another), or of a private conversation; each call pages back")
            { IrcSyntax = "history #room|NICK [N]", Shape = ArgShape.Own, DefaultsToRoom = RoomDefault.Target, Run = static (h, s, c) => h.History(s, c.Target, c.Count) },
        new(CommandKind.Bamboo, ["/bamboo"], "/bamboo", "a random panda fact")
            { PlainAliases = ["@bamboo"], IrcSyntax = "bamboo", Access = Access.BeforeName, Run = static (h, s, _) => h.Bamboo(s) },
        new(CommandKind.Quit, ["/quit"], "/quit [REASON]", "leave the chat")
            { PlainAliases = ["@leaves", "!logout", "bye", "exit"], Shape = ArgShape.OptionalText, Access = Access.BeforeName, Run = static (h, s, c) => h.Quit(s, c.Text) },
        // The browser handles /logout itself (it ends its token with the web door's "logout"); typed as a command on
        // the web door it leaves like /quit.
        new(CommandKind.Quit, ["/logout"], "/logout", "log out: this browser forgets your login and the server ends it")
            { On = DoorSet.Web, Shape = ArgShape.OptionalText, Access = Access.BeforeName, Run = static (h, s, c) => h.Quit(s, c.Text) },
        // Hashing stays off the command loop: doors run these through LoginAsync and RegisterAccountAsync.
        new(CommandKind.RegisterAccount, ["/register"], "/register PASSWORD", "make your current name your account, kept by a password")
            { IrcSyntax = "register PASSWORD", Shape = ArgShape.Text, MinArgs = 1, Run = static (h, s, _) => h.NotOnTheLoop(s) },
        new(CommandKind.Login, ["/login"], "/login NAME PASSWORD", "log in to your account (from any door, on several connections at once)")
            { IrcSyntax = "login NICK PASSWORD", Shape = ArgShape.NameText, MinArgs = 2, Run = static (h, s, _) => h.NotOnTheLoop(s) },
        new(CommandKind.RoomRegister, ["/room"], "/room register [#room]", "claim a room for your account: its modes, bans and operators outlive restarts")
            { IrcSyntax = "room register #room", Shape = ArgShape.Own, MinArgs = 1, Access = Access.LoggedIn, DefaultsToRoom = RoomDefault.Target, Run = static (h, s, c) => h.RoomRegister(s, c.Target) },
        new(CommandKind.Kick, ["/kick"], "/kick [#room] NAME [REASON]", "put someone out of a room (room operators)")
            { Shape = ArgShape.RoomNameReason, MinArgs = 1, Access = Access.RoomOperator, DefaultsToRoom = RoomDefault.Target, Run = static (h, s, c) => h.Kick(s, c) },
        Moderation(CommandKind.Ban, "/ban", "/ban [#room | *] NAME|MASK", "ban a name, account or mask from a room, and kick; * bans from the whole server (server operators)", "ban #room|* NICK|MASK", ArgShape.RoomOrStarWho),
        Moderation(CommandKind.Unban, "/unban", "/unban [#room | *] NAME|MASK", "lift a ban", "unban #room|* NICK|MASK", ArgShape.RoomOrStarWho),
        Moderation(CommandKind.Mute, "/mute", "/mute [#room] NAME|MASK", "keep someone from speaking in a room", "mute #room NICK|MASK"),
        Moderation(CommandKind.Unmute, "/unmute", "/unmute [#room] NAME|MASK", "let them speak again", "unmute #room NICK|MASK"),
        Moderation(CommandKind.Op, "/op", "/op [#room] NAME", "make someone an operator of a room", "op #room NICK"),
        Moderation(CommandKind.Deop, "/deop", "/deop [#room] NAME", "take operator away", "deop #room NICK"),
        Moderation(CommandKind.Voice, "/voice", "/voice [#room] NAME", "let someone speak in a moderated room", "voice #room NICK"),
        Moderation(CommandKind.Devoice, "/devoice", "/devoice [#room] NAME", "take voice away", "devoice #room NICK"),
        new(CommandKind.Mode, ["/mode"], "/mode [#room] +t|-t|+i|-i|+m|-m", "room settings: t only operators set the topic, i invite-only, m moderated")
            { Shape = ArgShape.Own, MinArgs = 1, Access = Access.RoomOperator, DefaultsToRoom = RoomDefault.Target, Run = static (h, s, c) => h.Mode(s, c) },
        new(CommandKind.Invite, ["/invite"], "/invite NAME [#room]", "invite someone to a room")
            { Shape = ArgShape.Own, MinArgs = 1, DefaultsToRoom = RoomDefault.FirstArg, Run = static (h, s, c) => h.Invite(s, c) },
        new(CommandKind.Audit, ["/audit"], "/audit [#room | *]", "who did what in a room (its owner), or on the server (server operators)")
            { IrcSyntax = "audit #room|*", Shape = ArgShape.Own, Access = Access.RoomOperator, DefaultsToRoom = RoomDefault.Target, Run = static (h, s, c) => h.AuditCommand(s, c.Target) },
        new(CommandKind.Kill, ["/kill"], "/kill NAME [REASON]", "disconnect someone (server operators)")
            { Shape = ArgShape.NameOptionalText, MinArgs = 1, Access = Access.ServerOperator, Run = static (h, s, c) => h.Kill(s, c.Target ?? "", c.Text) },
        new(CommandKind.Lockdown, ["/lockdown"], "/lockdown on|off", "refuse new guests; accounts still sign in (server operators)")
            { IrcSyntax = "lockdown on|off", Shape = ArgShape.Own, Access = Access.ServerOperator, Run = static (h, s, c) => h.Lockdown(s, c.Text) },

        // Reached through a door's own form: the first name, a line of chat, IRC's verbs.
        Own(CommandKind.Register, static (h, s, c) => h.Register(s, c.Target ?? ""), Access.BeforeName),
        Own(CommandKind.Say, static (h, s, c) => h.Say(s, c.Target, c.Text ?? "", MessageKind.Normal, c), roomDefault: RoomDefault.Target),
        Own(CommandKind.Notice, static (h, s, c) => h.Notice(s, c)),
        Own(CommandKind.TagMsg, static (h, s, c) => h.TagMsg(s, c.Target ?? "", c.ClientTags)),
        Own(CommandKind.SetName, static (h, s, c) => h.SetName(s, c.Text ?? "")),
        Own(CommandKind.Monitor, static (h, s, c) => h.Monitor(s, c.Text ?? "", c.Args ?? [])),
        Own(CommandKind.UserModes, static (h, s, c) => h.UserModes(s, c.Text ?? "")),
        Own(CommandKind.PartAll, static (h, s, c) => h.PartAll(s, c.Text)),
        Own(CommandKind.Away, static (h, s, c) => h.Away(s, c.Text)),
        // The door has checked the operator's credentials.
        Own(CommandKind.Oper, static (h, s, _) => h.Oper(s)),
        Own(CommandKind.Wallops, static (h, s, c) => h.Wallops(s, c.Text ?? ""), Access.ServerOperator),
    ];

    private static CommandEntry Moderation(CommandKind kind, string name, string syntax, string help, string irc, ArgShape shape = ArgShape.RoomWho) =>
        new(kind, [name], syntax, help)
        {
            IrcSyntax = irc, Shape = shape, MinArgs = 1, Access = Access.RoomOperator, DefaultsToRoom = RoomDefault.Target,
            Run = static (h, s, c) => h.ModerationCommand(s, c.Kind, c.Target, c.Args is { Count: > 0 } a ? a[0] : ""),
        };

    private static CommandEntry Own(CommandKind kind, Action<Handlers.ChatHandlers, People.Session, ChatCommand> run, Access access = Access.Named, RoomDefault roomDefault = RoomDefault.None) =>
        new(kind, [], "", "") { On = DoorsOwn, Access = access, DefaultsToRoom = roomDefault, Run = run };
}
