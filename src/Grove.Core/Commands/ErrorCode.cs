namespace Grove.Core.Commands;

/// <summary>Why a command was refused. Each door maps these to its own form (a "! " line, an IRC numeric, a JSON error).</summary>
public enum ErrorCode
{
    None,
    UnknownCommand,
    NeedMoreParams,
    BadArgument,
    EmptyMessage,
    NameInUse,
    ErroneousName,
    NoSuchName,
    NoSuchRoom,
    BadRoomName,
    NotInRoom,
    AlreadyRegistered,
    NotRegistered,
    InputTooLong,
    InvalidUtf8,
    TopicTooLong,
    CannotSendToRoom,
    InviteOnly,
    BadRoomKey,
    RoomFull,
    Banned,
    OperatorNeeded,     // room operator privileges needed
    NotPrivileged,      // server operator privileges needed
    TargetNotInRoom,
    TargetAlreadyInRoom,
    UnknownMode,
    InvalidModeParam,   // a mode's argument is there but unusable (a key with a space, a limit that is not a number)
    TooManyRooms,
    NameRegistered,     // the name belongs to an account: log in to use it
    LoginFailed,        // wrong name or password
    TooManyAttempts,    // too many failed logins: wait
    NotLoggedIn,        // the command needs an account
    Lockdown,           // only accounts may sign in right now
    Muted,              // muted in that room
    Protected,          // the room's owner and server operators are beyond a room operator's reach
    ServerBusy,         // too much waits already (password hashing): try again in a moment
    StoreUnavailable,   // the message could not be stored (a full disk): it was not delivered either
}
