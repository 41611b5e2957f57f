using System.Globalization;
using System.Text;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Server.Doors.Irc;

// Queries about people: WHO, WHOIS, WHOWAS, ISON, USERHOST (RFC 2812 section 3.6, 4.8, 4.9). They run on the
// core's command loop, so they see the state after this client's earlier commands.
public sealed partial class IrcConnection
{
    /// <summary>WHO answers at most this many people for a mask (a channel lists all its members).</summary>
    public const int MaxWhoReplies = 500;

    // WHO <mask> [o]
    private void Who(Grove.Wire.Irc.IrcMessage m)
    {
        var mask = m.Params.Count > 0 ? m[0] : "*";
        // WHOX: WHO <mask> %<fields>[,<token>] answers RPL_WHOSPCRPL (354) with the fields asked for.
        string? fields = null, token = null;
        if (m.Params.Count > 1 && m[1].Contains('%'))
        {
            var spec = m[1][(m[1].IndexOf('%') + 1)..];
            var comma = spec.IndexOf(',');
            fields = comma < 0 ? spec : spec[..comma];
            token = comma < 0 ? null : spec[(comma + 1)..];
            if (token is { Length: > 3 } || token is not null && !token.All(char.IsAsciiDigit)) token = "0";
        }
        var opersOnly = m.Params.Count > 1 && m[1].Split('%')[0].Contains('o');
        string Line(string room, Session p, MemberStatus status) => fields is null ? WhoLine(room, p, status) : WhoxLine(fields, token, room, p, status);
        EmitQuery(view =>
        {
            var sb = new StringBuilder();
            if (NameRules.LooksLikeRoom(mask))
            {
                var room = view.RoomNamed(mask);
                if (room is not null && CanSee(room))
                    foreach (var p in room.Members.DistinctBy(x => x.Name))
                        if ((!opersOnly || p.IsOperator) && (!p.Invisible || room.Contains(session) || p == session))
                            sb.Append(Line(room.Name, p, room.StatusOf(p)));
            }
            else
            {
                var folded = NameRules.Fold(mask is "0" ? "*" : mask);
                var exact = mask.IndexOfAny(['*', '?', '!', '@']) < 0;
                var n = 0;
                foreach (var p in view.People)
                {
                    if (opersOnly && !p.IsOperator) continue;
                    // modern.ircdocs: +i hides a person from masks, not from their exact nick or from those who share a channel.
                    if (p.Invisible && p != session && !exact && !SharesRoom(view, p)) continue;
                    if (!Mask.Matches(folded, NameRules.Fold(p.Name!)) && !Mask.Matches(folded, NameRules.Fold(p.Origin.ToString()))) continue;
                    if (++n > MaxWhoReplies) break;
                    var shared = view.RoomsOf(p).FirstOrDefault(CanSee);
                    sb.Append(Line(shared?.Name ?? "*", p, shared?.StatusOf(p) ?? MemberStatus.None));
                }
            }
            sb.Append(renderer.Numeric(315, session, mask, "End of WHO list"));
            return sb.ToString();
        });
    }

    private bool SharesRoom(Grove.Core.LoopView view, Session p) => view.RoomsOf(p).Any(r => r.Contains(session));

    private string Flags(Session p, MemberStatus status)
    {
        var caps = IrcRenderer.CapsOf(session);
        var prefixes = (caps & IrcCaps.MultiPrefix) != 0
            ? ((status & MemberStatus.Operator) != 0 ? "@" : "") + ((status & MemberStatus.Voice) != 0 ? "+" : "")
            : (status & MemberStatus.Operator) != 0 ? "@" : (status & MemberStatus.Voice) != 0 ? "+" : "";
        return (p.AwayMessage is null ? "H" : "G") + (p.IsOperator ? "*" : "") + prefixes + (p.IsBot ? "B" : "");
    }

    private string WhoLine(string room, Session p, MemberStatus status) =>
        renderer.Numeric(352, session, room, p.UserName ?? p.Name!, p.Host, info.ServerName, p.Name!, Flags(p, status), "0 " + (p.RealName.Length > 0 ? p.RealName : p.Name));

    private string WhoxLine(string fields, string? token, string room, Session p, MemberStatus status)
    {
        var values = new List<string>();
        foreach (var f in "tcuihsnfdlaor")
        {
            if (!fields.Contains(f)) continue;
            values.Add(f switch
            {
                't' => token ?? "0",
                'c' => room,
                'u' => p.UserName ?? p.Name!,
                'i' => "255.255.255.255", // never an address
                'h' => p.Host,
                's' => info.ServerName,
                'n' => p.Name!,
                'f' => Flags(p, status),
                'd' => "0",
                'l' => "0",
                'a' => p.Account ?? "0",
                'o' => "n/a",
                _ => p.RealName.Length > 0 ? p.RealName : p.Name!,
            });
        }
        if (values.Count == 0) values.Add("*");
        return renderer.Numeric(354, session, [.. values]);
    }

    // WHOIS [<server>] <nick>
    private void Whois(Grove.Wire.Irc.IrcMessage m)
    {
        if (m.Params.Count == 0) { Lines(renderer.Numeric(431, session, "No nickname given")); return; }
        var nick = (m.Params.Count > 1 ? m[1] : m[0]).Split(',')[0];
        EmitQuery(view =>
        {
            var sb = new StringBuilder();
            var p = view.FindPerson(nick);
            if (p is null)
            {
                sb.Append(renderer.Numeric(401, session, nick, "No such nick/channel"));
                sb.Append(renderer.Numeric(318, session, nick, "End of /WHOIS list"));
                return sb.ToString();
            }
            sb.Append(renderer.Numeric(311, session, p.Name!, p.UserName ?? p.Name!, p.Host, "*", p.RealName.Length > 0 ? p.RealName : p.Name!));
            var rooms = view.RoomsOf(p).Where(CanSee)
                .Select(r => ((r.StatusOf(p) & MemberStatus.Operator) != 0 ? "@" : (r.StatusOf(p) & MemberStatus.Voice) != 0 ? "+" : "") + r.Name)
                .ToList();
            if (rooms.Count > 0 && (!p.Invisible || p == session || SharesRoom(view, p))) sb.Append(renderer.Numeric(319, session, p.Name!, string.Join(' ', rooms)));
            sb.Append(renderer.Numeric(312, session, p.Name!, info.ServerName, $"Grove ({ChatDoor(p.Door)})"));
            if (p.AwayMessage is { } away) sb.Append(renderer.Numeric(301, session, p.Name!, away));
            if (p.IsOperator) sb.Append(renderer.Numeric(313, session, p.Name!, "is an IRC operator"));
            if (p.Account is { } account) sb.Append(renderer.Numeric(330, session, p.Name!, account, "is logged in as"));
            if (p.IsBot) sb.Append(renderer.Numeric(335, session, p.Name!, "is a bot"));
            sb.Append(renderer.Numeric(317, session, p.Name!, "0", p.ConnectedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "seconds idle, signon time"));
            sb.Append(renderer.Numeric(318, session, p.Name!, "End of /WHOIS list"));
            return sb.ToString();
        });
    }

    private static string ChatDoor(DoorKind door) => door switch
    {
        DoorKind.Plain => "connected with the plain text door",
        DoorKind.Irc => "connected with IRC",
        _ => "connected with the web client",
    };

    // WHOWAS <nick> [<count>]
    private void Whowas(Grove.Wire.Irc.IrcMessage m)
    {
        if (m.Params.Count == 0) { Lines(renderer.Numeric(431, session, "No nickname given")); return; }
        var nick = m[0];
        var count = m.Params.Count > 1 && int.TryParse(m[1], out var c) && c > 0 ? Math.Min(c, 20) : 20;
        EmitQuery(view =>
        {
            var sb = new StringBuilder();
            var entries = view.WhoWas(nick).Take(count).ToList();
            if (entries.Count == 0) sb.Append(renderer.Numeric(406, session, nick, "There was no such nickname"));
            foreach (var e in entries)
            {
                sb.Append(renderer.Numeric(314, session, e.Name, e.User, e.Host, "*", e.RealName.Length > 0 ? e.RealName : e.Name));
                sb.Append(renderer.Numeric(312, session, e.Name, info.ServerName, e.Left.ToString("R", CultureInfo.InvariantCulture)));
            }
            sb.Append(renderer.Numeric(369, session, nick, "End of WHOWAS"));
            return sb.ToString();
        });
    }

    // ISON <nick>{ <nick>}
    private void Ison(Grove.Wire.Irc.IrcMessage m)
    {
        if (m.Params.Count == 0) { NeedMore("ISON"); return; }
        var nicks = m.Params.SelectMany(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Take(100).ToList();
        EmitQuery(view => renderer.Numeric(303, session, string.Join(' ', nicks.Select(view.FindPerson).OfType<Session>().Select(p => p.Name))));
    }

    // USERHOST <nick>{ <nick>} (at most 5)
    private void Userhost(Grove.Wire.Irc.IrcMessage m)
    {
        if (m.Params.Count == 0) { NeedMore("USERHOST"); return; }
        var nicks = m.Params.Take(5).ToList();
        EmitQuery(view => renderer.Numeric(302, session, string.Join(' ', nicks.Select(view.FindPerson).OfType<Session>()
            .Select(p => $"{p.Name}{(p.IsOperator ? "*" : "")}={(p.AwayMessage is null ? '+' : '-')}{p.UserName}@{p.Host}"))));
    }
}
