using Grove.Core.Commands;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

// Registration: CAP, PASS, NICK, USER, PING (RFC 2812 section 3.1; modern.ircdocs.horse "Connection Registration").
public sealed partial class IrcConnection
{
    // CAP LS [302] | LIST | REQ :caps | END. No capabilities are offered yet; negotiation holds registration until END.
    private async Task Cap(IrcMessage m)
    {
        var sub = m[0].ToUpperInvariant();
        switch (sub)
        {
            case "LS":
                if (!Registered) _capNegotiating = true;
                await Reply(IrcMessage.Text(info.ServerName, "CAP", session.Name ?? "*", "LS", ""));
                break;
            case "LIST":
                await Reply(IrcMessage.Text(info.ServerName, "CAP", session.Name ?? "*", "LIST", ""));
                break;
            case "REQ":
                if (!Registered) _capNegotiating = true;
                await Reply(IrcMessage.Text(info.ServerName, "CAP", session.Name ?? "*", "NAK", m[1]));
                break;
            case "END":
                _capNegotiating = false;
                await TryRegister();
                break;
            default:
                await Reply(renderer.Numeric(410, session, m[0], "Invalid CAP command"));
                break;
        }
    }

    // PASS <password>: accepted before registration (accounts come later); after it, ERR_ALREADYREGISTERED.
    private async Task Pass(IrcMessage m)
    {
        if (Registered) { await Reply(renderer.Numeric(462, session, "You may not reregister")); return; }
        if (m.Params.Count == 0) await NeedMore("PASS");
    }

    // NICK <nickname>
    private async Task Nick(IrcMessage m)
    {
        if (m.Params.Count == 0 || m[0].Length == 0)
        {
            await Reply(renderer.Numeric(431, session, "No nickname given"));
            return;
        }
        var nick = m[0];
        if (Registered)
        {
            await chat.SubmitAsync(session, new ChatCommand(CommandKind.Nick, Target: nick));
            return;
        }
        if (NameRules.ValidateName(nick) is { } problem)
        {
            await Reply(renderer.Numeric(432, session, nick, $"Erroneous nickname: {problem}"));
            return;
        }
        _pendingNick = nick;
        await TryRegister();
    }

    // USER <user> <mode> <unused> <realname>
    private async Task User(IrcMessage m)
    {
        if (Registered) { await Reply(renderer.Numeric(462, session, "You may not reregister")); return; }
        if (m.Params.Count < 4 || m[0].Length == 0) { await NeedMore("USER"); return; }
        var user = new string(m[0].Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').Take(IrcServerInfo.UserLength - 1).ToArray());
        _user = "~" + (user.Length > 0 ? user : "user");
        session.RealName = m[3];
        await TryRegister();
    }

    private async Task TryRegister()
    {
        if (Registered || _pendingNick is null || _user is null || _capNegotiating) return;
        session.UserName = _user;
        var nick = _pendingNick;
        await chat.ExecuteAsync(session, new ChatCommand(CommandKind.Register, Target: nick));
        // Refused (433/432 already sent): wait for another NICK.
        if (session.State != SessionState.Registered) _pendingNick = null;
    }

    // PING <token>
    private async Task Ping(IrcMessage m)
    {
        if (m.Params.Count == 0) { await Reply(renderer.Numeric(409, session, "No origin specified")); return; }
        await Reply(IrcMessage.Text(info.ServerName, "PONG", info.ServerName, m[0]));
    }
}
