using Grove.Core.Commands;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

// Registration: CAP, PASS, NICK, USER, PING (RFC 2812 section 3.1; modern.ircdocs.horse "Connection Registration").
public sealed partial class IrcConnection
{
    // CAP LS [302] | LIST | REQ :caps | END (IRCv3 capability negotiation): "If the client sends CAP LS or CAP REQ
    // before registration, the server MUST NOT complete registration until the client sends CAP END."
    private async Task Cap(IrcMessage m)
    {
        var nick = session.Name ?? "*";
        switch (m[0].ToUpperInvariant())
        {
            case "LS":
                if (!Registered) _capNegotiating = true;
                if (int.TryParse(m[1], out var version) && version >= 302)
                {
                    CapVersion = Math.Max(CapVersion, version);
                    Caps |= IrcCaps.CapNotify; // implied by CAP LS 302
                }
                var offered = IrcCapNames.Offered.Select(o => CapVersion >= 302 && o.Value is not null ? $"{o.Name}={o.Value}" : o.Name).ToList();
                Lines(IrcMessage.Text(info.ServerName, "CAP", nick, "LS", string.Join(' ', offered)));
                break;
            case "LIST":
                Lines(IrcMessage.Text(info.ServerName, "CAP", nick, "LIST",
                    string.Join(' ', IrcCapNames.Offered.Where(o => Has(o.Cap)).Select(o => o.Name))));
                break;
            case "REQ":
                if (!Registered) _capNegotiating = true;
                var requested = m[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // All or nothing: "If a client requests a capability which cannot be acknowledged, the whole request MUST be rejected."
                var add = IrcCaps.None;
                var remove = IrcCaps.None;
                var ok = requested.Length > 0;
                foreach (var r in requested)
                {
                    var off = r.StartsWith('-');
                    if (IrcCapNames.Find(off ? r[1..] : r) is not { } cap) { ok = false; break; }
                    if (off) remove |= cap; else add |= cap;
                }
                if (!ok)
                {
                    Lines(IrcMessage.Text(info.ServerName, "CAP", nick, "NAK", m[1]));
                    break;
                }
                Caps = (Caps | add) & ~remove;
                Lines(IrcMessage.Text(info.ServerName, "CAP", nick, "ACK", m[1]));
                break;
            case "END":
                _capNegotiating = false;
                await TryRegister();
                break;
            default:
                Lines(renderer.Numeric(410, session, m[0], "Invalid CAP command"));
                break;
        }
    }

    // PASS <password>: accepted before registration (accounts come later); after it, ERR_ALREADYREGISTERED.
    private void Pass(IrcMessage m)
    {
        if (Registered) { Lines(renderer.Numeric(462, session, "You may not reregister")); return; }
        if (m.Params.Count == 0) NeedMore("PASS");
    }

    // NICK <nickname>
    private async Task Nick(IrcMessage m)
    {
        if (m.Params.Count == 0 || m[0].Length == 0)
        {
            Lines(renderer.Numeric(431, session, "No nickname given"));
            return;
        }
        var nick = m[0];
        if (Registered)
        {
            Emit(new ChatCommand(CommandKind.Nick, Target: nick));
            return;
        }
        if (NameRules.ValidateName(nick) is { } problem)
        {
            Lines(renderer.Numeric(432, session, nick, $"Erroneous nickname: {problem}"));
            return;
        }
        _pendingNick = nick;
        await TryRegister();
    }

    // USER <user> <mode> <unused> <realname>
    private async Task User(IrcMessage m)
    {
        if (Registered) { Lines(renderer.Numeric(462, session, "You may not reregister")); return; }
        if (m.Params.Count < 4 || m[0].Length == 0) { NeedMore("USER"); return; }
        var user = new string(m[0].Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').Take(IrcServerInfo.UserLength - 1).ToArray());
        _user = "~" + (user.Length > 0 ? user : "user");
        session.RealName = m[3];
        await TryRegister();
    }

    private async Task TryRegister()
    {
        if (Registered || _pendingNick is null || _user is null || _capNegotiating) return;
        await Flush(); // what this line said so far goes first
        session.UserName = _user;
        var nick = _pendingNick;
        await chat.ExecuteAsync(session, new ChatCommand(CommandKind.Register, Target: nick));
        // Refused (433/432 already sent): wait for another NICK.
        if (session.State != SessionState.Registered) _pendingNick = null;
    }

    // PING <token>
    private void Ping(IrcMessage m)
    {
        if (m.Params.Count == 0) { Lines(renderer.Numeric(409, session, "No origin specified")); return; }
        Lines(IrcMessage.Text(info.ServerName, "PONG", info.ServerName, m[0]));
    }
}
