using Grove.Core;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;

namespace Grove.Server.Doors;

/// <summary>
/// /login and /register for the doors that take plain-door commands (plain, web, IRC's Grove service): they run
/// through the core's async account calls, which hash passwords off the command loop, instead of the command queue.
/// </summary>
public static class AccountCommands
{
    /// <summary>True when <paramref name="c"/> was /login or /register (then it has been handled and answered).</summary>
    public static async Task<bool> TryRunAsync(IChatCore chat, Session s, ChatCommand c, Func<ChatServer.LoginResult, Task>? loggedIn = null)
    {
        ChatServer.LoginResult result;
        switch (c.Kind)
        {
            case CommandKind.Login:
                result = await chat.LoginAsync(s, c.Target ?? "", c.Text ?? "", takeName: s.State != SessionState.Registered);
                break;
            case CommandKind.RegisterAccount:
                result = await chat.RegisterAccountAsync(s, c.Text ?? "");
                break;
            default:
                return false;
        }
        if (result.Ok)
        {
            if (loggedIn is not null) await loggedIn(result);
        }
        else await chat.ReplyAsync(s, Failure(c.Kind, result));
        return true;
    }

    public static ErrorReply Failure(CommandKind kind, ChatServer.LoginResult result) => new(
        result.Outcome == ChatServer.LoginOutcome.Blocked ? ErrorCode.TooManyAttempts
            : result.Outcome == ChatServer.LoginOutcome.Busy ? ErrorCode.ServerBusy
            : kind == CommandKind.RegisterAccount ? ErrorCode.BadArgument : ErrorCode.LoginFailed,
        result.Message);
}
