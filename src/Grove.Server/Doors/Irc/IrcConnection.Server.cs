using System.Security.Cryptography;
using System.Text;
using Grove.Core.Commands;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

// Server commands: OPER, KILL, WALLOPS, VERSION, ADMIN, INFO, HELP (RFC 2812 sections 3.1.4, 3.4, 3.7, 4.7).
public sealed partial class IrcConnection
{
    // OPER <name> <password>
    private void Oper(IrcMessage m)
    {
        if (m.Params.Count < 2) { NeedMore("OPER"); return; }
        var accounts = info.Options.Operators;
        if (accounts.Count == 0) { Lines(renderer.Numeric(491, session, "No O-lines for your host")); return; }
        var match = accounts.FirstOrDefault(a => a.Name == m[0]);
        // Compare in constant time so the reply's timing does not reveal how much of a password was right.
        if (match is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(match.Password), Encoding.UTF8.GetBytes(m[1])))
        {
            Lines(renderer.Numeric(464, session, "Password incorrect"));
            return;
        }
        Emit(new ChatCommand(CommandKind.Oper));
        Lines(IrcMessage.Format(Me, "MODE", Me, "+o"));
    }

    // KILL <nick> <reason>
    private void Kill(IrcMessage m)
    {
        if (m.Params.Count < 2) { NeedMore("KILL"); return; }
        Emit(new ChatCommand(CommandKind.Kill, Target: m[0], Text: m[1]));
    }

    // WALLOPS <text>
    private void Wallops(IrcMessage m)
    {
        if (m.Params.Count == 0) { NeedMore("WALLOPS"); return; }
        Emit(new ChatCommand(CommandKind.Wallops, Text: m[0]));
    }

    private void Version()
    {
        var sb = new StringBuilder(renderer.Numeric(351, session, IrcServerInfo.Version, info.ServerName, "Grove chat server: plain text, IRC and web onto the same rooms"));
        renderer.AppendSupport(sb, session);
        Lines(sb.ToString());
    }

    private void Admin() => Lines(
        renderer.Numeric(256, session, info.ServerName, "Administrative info")
        + renderer.Numeric(257, session, $"{info.Network}: a Grove server")
        + renderer.Numeric(258, session, "Run by whoever started `grove serve` on this machine")
        + renderer.Numeric(259, session, "See the operator of this server for contact details"));

    private void Info()
    {
        var sb = new StringBuilder();
        foreach (var line in new[]
        {
            $"Grove {IrcServerInfo.Version}: one chat server, three doors (plain text, IRC, web) onto the same rooms.",
            "Written in C# on .NET; history is kept in SQLite.",
            $"This server started {info.CreatedText}.",
        })
            sb.Append(renderer.Numeric(371, session, line));
        sb.Append(renderer.Numeric(374, session, "End of INFO list"));
        Lines(sb.ToString());
    }

    private static readonly Dictionary<string, string[]> HelpTopics = new(StringComparer.OrdinalIgnoreCase)
    {
        ["*"] = ["Grove speaks IRC (RFC 1459/2812). Commands:",
                 "JOIN PART PRIVMSG NOTICE TOPIC NAMES LIST KICK INVITE MODE WHO WHOIS WHOWAS",
                 "ISON USERHOST AWAY NICK QUIT OPER KILL WALLOPS MOTD LUSERS VERSION TIME ADMIN INFO LINKS HELP",
                 "Grove's own: BAMBOO, and PRIVMSG Grove :help for rooms, who and history.",
                 "HELP <command> tells more about one."],
        ["JOIN"] = ["JOIN <#room>{,<#room>} [<key>{,<key>}]: enter rooms (created if needed; the first person in is its operator).", "JOIN 0 leaves every room."],
        ["PART"] = ["PART <#room>{,<#room>} [<reason>]: leave rooms."],
        ["PRIVMSG"] = ["PRIVMSG <target>{,<target>} <text>: to a room or a person, on any door."],
        ["NOTICE"] = ["NOTICE <target>{,<target>} <text>: like PRIVMSG, never answered automatically."],
        ["MODE"] = ["MODE <#room> [+|-]<modes> [args]: t n m i s k l o v b.", "MODE <you> [+|-]<i|w>: invisible, wallops."],
        ["KICK"] = ["KICK <#room> <nick>{,<nick>} [<reason>]: room operators only."],
        ["INVITE"] = ["INVITE <nick> <#room>: lets them past +i."],
        ["TOPIC"] = ["TOPIC <#room> [<text>]: show or set (operators only when +t)."],
        ["WHO"] = ["WHO <#room|mask> [o]: who is there."],
        ["WHOIS"] = ["WHOIS <nick>: about one person, whichever door they use."],
        ["AWAY"] = ["AWAY [<message>]: set or clear your away message."],
        ["OPER"] = ["OPER <name> <password>: become a server operator (accounts from the server's settings)."],
        ["BAMBOO"] = ["BAMBOO: a random panda fact."],
        ["REGISTER"] = ["REGISTER <password>: make your nick your account; log in next time with SASL PLAIN or PASS <nick>:<password>."],
        ["AUTHENTICATE"] = ["AUTHENTICATE PLAIN, then the base64 of \"\\0account\\0password\": log in (after CAP REQ sasl, before CAP END)."],
    };

    // HELP [<subject>]: RPL_HELPSTART 704, RPL_HELPTXT 705, RPL_ENDOFHELP 706 (modern.ircdocs.horse).
    private void Help(IrcMessage m)
    {
        var subject = m.Params.Count > 0 ? m[0] : "*";
        if (!HelpTopics.TryGetValue(subject, out var lines))
        {
            Lines(renderer.Numeric(524, session, subject, "No help available on this topic"));
            return;
        }
        var sb = new StringBuilder();
        sb.Append(renderer.Numeric(704, session, subject, lines[0]));
        foreach (var l in lines.Skip(1)) sb.Append(renderer.Numeric(705, session, subject, l));
        sb.Append(renderer.Numeric(706, session, subject, "End of /HELP"));
        Lines(sb.ToString());
    }
}
