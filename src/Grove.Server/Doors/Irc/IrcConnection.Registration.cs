using System.Text;
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

    private string? _pass;
    private StringBuilder? _sasl; // the AUTHENTICATE PLAIN payload so far, while an exchange is going on
    private bool _saslDiscarding; // a payload past MaxSaslPayload was refused; its remaining chunks are dropped
    private const int MaxSaslPayload = 4096; // base64 of authzid, authcid and a 1,024-character password, with room to spare

    // PASS <password> or PASS <account>:<password>: the login for clients without SASL, tried when registration
    // completes (the account is the nick when none is given). After registration, ERR_ALREADYREGISTERED.
    private void Pass(IrcMessage m)
    {
        if (Registered) { Lines(renderer.Numeric(462, session, "You may not reregister")); return; }
        if (m.Params.Count == 0) { NeedMore("PASS"); return; }
        _pass = m[0];
    }

    // AUTHENTICATE (IRCv3 sasl, mechanism PLAIN): "AUTHENTICATE PLAIN", then the base64 of
    // "authzid NUL authcid NUL password" in chunks of 400 bytes ("+" for an empty last chunk); "*" aborts.
    private async Task Authenticate(IrcMessage m)
    {
        if (m.Params.Count == 0 || m[0].Length == 0) { NeedMore("AUTHENTICATE"); return; }
        var arg = m[0];
        if (arg == "*")
        {
            _sasl = null;
            _saslDiscarding = false;
            Lines(renderer.Numeric(906, session, "SASL authentication aborted"));
            return;
        }
        if (session.Account is not null) { Lines(renderer.Numeric(907, session, "You have already authenticated using SASL")); return; }
        if (_sasl is null)
        {
            if (!arg.Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
            {
                Lines(renderer.Numeric(908, session, "PLAIN", "are available SASL mechanisms"));
                Lines(renderer.Numeric(904, session, "SASL authentication failed"));
                return;
            }
            _sasl = new StringBuilder();
            Lines("AUTHENTICATE +\r\n");
            return;
        }
        if (_saslDiscarding)
        {
            // The rest of a refused payload: ignored until its last chunk (shorter than 400 bytes, or "+").
            if (arg.Length != 400) { _saslDiscarding = false; _sasl = null; }
            return;
        }
        if (arg.Length > 400)
        {
            _sasl = null;
            Lines(renderer.Numeric(905, session, "SASL message too long"));
            return;
        }
        if (arg != "+") _sasl.Append(arg);
        if (_sasl.Length > MaxSaslPayload)
        {
            // "If authentication fails, a 904 or 905 numeric will be sent": refused once, not once per chunk.
            _sasl.Clear();
            _saslDiscarding = arg.Length == 400;
            if (!_saslDiscarding) _sasl = null;
            Lines(renderer.Numeric(904, session, "SASL authentication failed: the payload is too long"));
            return;
        }
        if (arg.Length == 400) return; // more chunks follow
        var payload = _sasl.ToString();
        _sasl = null;
        string[] parts;
        try
        {
            parts = Encoding.UTF8.GetString(Convert.FromBase64String(payload)).Split('\0');
        }
        catch (FormatException)
        {
            parts = [];
        }
        if (parts.Length != 3 || parts[1].Length == 0 || parts[0].Length > 0 && !NameRules.NamesEqual(parts[0], parts[1]))
        {
            Lines(renderer.Numeric(904, session, "SASL authentication failed"));
            return;
        }
        await Flush();
        var result = await chat.LoginAsync(session, parts[1], parts[2], takeName: false);
        Lines(result.Ok
            ? renderer.Numeric(903, session, "SASL authentication successful")
            : renderer.Numeric(904, session, $"SASL authentication failed: {result.Message}"));
    }

    // REGISTER <password>, or REGISTER <account> <email> <password> as in IRCv3's draft account-registration (the
    // account must be "*" or your nick; the email is not used): makes your nick your account.
    private async Task RegisterAccount(IrcMessage m)
    {
        string? password = m.Params.Count switch { 1 => m[0], >= 3 when m[0] == "*" || NameRules.NamesEqual(m[0], Me) => m[2], _ => null };
        if (password is null)
        {
            Lines(IrcMessage.Text(info.ServerName, "FAIL", "REGISTER", "INVALID_PARAMS", "Usage: REGISTER <password> (your nick becomes the account)"));
            return;
        }
        await Flush();
        var result = await chat.RegisterAccountAsync(session, password);
        // IRCv3 account-registration names the code for "try again later".
        if (!result.Ok) Lines(IrcMessage.Text(info.ServerName, "FAIL", "REGISTER",
            result.Outcome == Grove.Core.ChatServer.LoginOutcome.Busy ? "TEMPORARILY_UNAVAILABLE" : "ACCOUNT_NOT_CREATED", result.Message));
        else if (Has(IrcCaps.StandardReplies)) Lines(IrcMessage.Text(info.ServerName, "REGISTER", "SUCCESS", result.Account!, result.Message));
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
        if (m.Params.Count < 4 || m[0].Length == 0 || m[3].Length == 0) { NeedMore("USER"); return; }
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
        var colon = _pass?.IndexOf(':') ?? -1;
        var (account, password) = colon > 0 ? (_pass![..colon], _pass[(colon + 1)..]) : (nick, _pass);
        _pass = null;
        // A PASS for a name without an account is a server password Grove does not need: it is ignored.
        if (password is not null && session.Account is null && chat.IsRegisteredName(account))
        {
            var login = await chat.LoginAsync(session, account, password, takeName: false);
            if (!login.Ok) Lines(IrcMessage.Text(info.ServerName, "NOTICE", "*", $"PASS: {login.Message} You are connecting as a guest."));
            await Flush();
        }
        await chat.ExecuteAsync(session, new ChatCommand(CommandKind.Register, Target: nick));
        if (session.State == SessionState.Registered) return;
        if (chat.InLockdown && session.Account is null)
        {
            await chat.CloseAfterQueuedAsync(session, Grove.Core.Delivery.DisconnectReason.Killed, "The server is in lockdown: only registered accounts may connect.");
            return;
        }
        // Refused (433/432 already sent): wait for another NICK.
        _pendingNick = null;
    }

    // PING <token>
    private void Ping(IrcMessage m)
    {
        if (m.Params.Count == 0) { Lines(renderer.Numeric(409, session, "No origin specified")); return; }
        Lines(IrcMessage.Text(info.ServerName, "PONG", info.ServerName, m[0]));
    }
}
