namespace Grove.Core.Commands;

/// <summary>Every command the chat core understands, whichever door it came through.</summary>
public enum CommandKind
{
    Register,   // choose a name (the plain door's first line, IRC NICK+USER, the web "hello")
    Say,        // a message to the current room (plain) or to a named room
    Me,         // an action to the current or a named room
    Msg,        // a private message
    Who,
    Quit,
    Bamboo,
    Help,
    Nick,
    Join,
    Part,
    Rooms,
    Topic,
    History,
    Notice,     // like Say/Msg, but a notice: no automatic replies (IRC NOTICE)
    Kick,       // Target room, Args[0] person, Text reason
    Invite,     // Target person, Args[0] room
    Mode,       // Target room, Text mode changes ("+o-v"), Args their arguments
    Away,       // Text message, or null to come back
    Oper,       // the door has checked the credentials: make this person a server operator
    Kill,       // Target person, Text reason (server operators)
    Wallops,    // Text, to operators and +w people (server operators)
    TagMsg,     // Target room or person; only tags (IRCv3 message-tags), nothing stored
    SetName,    // Text: the new real name
    Monitor,    // Text "+", "-" or "C"; Args the names to watch (presence notifications)
    PartAll,    // leave every room (IRC JOIN 0)
    Login,          // Target account, Text password: doors call ChatServer.LoginAsync (hashing is off the command loop)
    RegisterAccount,// Text password: doors call ChatServer.RegisterAccountAsync
    RoomRegister,   // Target room or null for the current one: claim it for your account
    Ban,            // Target room ("*" server-wide), Args[0] name, account or mask
    Unban,
    Mute,           // Target room, Args[0] name or mask
    Unmute,
    Op,             // Target room, Args[0] name
    Deop,
    Voice,
    Devoice,
    Audit,          // Target room, "*" for everything (server operators), or null for the current room
    Lockdown,       // Text "on" or "off" (server operators)
    UserModes,      // Text: changes to the person's own modes ("+iw-B"), IRC MODE <me>
    Whois,          // Target person: door-neutral facts about them (IRC has its own WHOIS)
}

/// <summary>
/// One parsed command. The meaning of <see cref="Target"/> and <see cref="Text"/> depends on the kind
/// (see <see cref="CommandTable"/>): for Msg the target is a name, for Join a room, for Quit the text is the reason.
/// </summary>
public sealed record ChatCommand(CommandKind Kind, string? Target = null, string? Text = null, int? Count = null, IReadOnlyList<string>? Args = null)
{
    /// <summary>Client-only message tags to relay with the message, already escaped ("+a=b;+c").</summary>
    public string? ClientTags { get; init; }

    /// <summary>For a room message: deliver only to members with at least this standing (IRC STATUSMSG "@#room").</summary>
    public Rooms.MemberStatus MinimumStatus { get; init; }
}
