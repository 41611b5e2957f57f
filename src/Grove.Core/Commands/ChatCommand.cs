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
}

/// <summary>
/// One parsed command. The meaning of <see cref="Target"/> and <see cref="Text"/> depends on the kind
/// (see <see cref="CommandTable"/>): for Msg the target is a name, for Join a room, for Quit the text is the reason.
/// </summary>
public sealed record ChatCommand(CommandKind Kind, string? Target = null, string? Text = null, int? Count = null);
