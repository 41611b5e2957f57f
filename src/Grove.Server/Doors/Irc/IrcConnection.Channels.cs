using System.Text;
using Grove.Wire;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.Rooms;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

// Channels and messages: JOIN, PART, PRIVMSG, NOTICE, TOPIC, NAMES, LIST, KICK, INVITE, MODE (RFC 2812 section 3.2, 3.3).
public sealed partial class IrcConnection
{
    /// <summary>Splits a comma list, answering ERR_TOOMANYTARGETS (407) for targets past TARGMAX.</summary>
    private List<string> Targets(string list)
    {
        var all = list.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var extra in all.Skip(IrcServerInfo.MaxTargets))
            Lines(renderer.Numeric(407, session, extra, $"Too many targets (at most {IrcServerInfo.MaxTargets}); not delivered"));
        return all.Take(IrcServerInfo.MaxTargets).ToList();
    }

    // JOIN <channel>{,<channel>} [<key>{,<key>}] | JOIN 0
    private void Join(IrcMessage m)
    {
        if (m.Params.Count == 0) { NeedMore("JOIN"); return; }
        if (m[0] == "0")
        {
            Emit(new ChatCommand(CommandKind.PartAll, Text: "Left all channels"));
            return;
        }
        var keys = m.Params.Count > 1 ? m[1].Split(',') : [];
        var rooms = Targets(m[0]);
        for (var i = 0; i < rooms.Count; i++)
            Emit(new ChatCommand(CommandKind.Join, Target: rooms[i], Args: i < keys.Length ? [keys[i]] : null));
    }

    // PART <channel>{,<channel>} [<reason>]
    private void Part(IrcMessage m)
    {
        if (m.Params.Count == 0) { NeedMore("PART"); return; }
        foreach (var room in Targets(m[0]))
            Emit(new ChatCommand(CommandKind.Part, Target: room, Text: m.Params.Count > 1 ? m[1] : null));
    }

    // PRIVMSG/NOTICE <target>{,<target>} <text>
    private async Task Privmsg(IrcMessage m, MessageKind kind)
    {
        var verb = kind == MessageKind.Notice ? "NOTICE" : "PRIVMSG";
        if (m.Params.Count == 0 || m[0].Length == 0) { Lines(renderer.Numeric(411, session, $"No recipient given ({verb})")); return; }
        if (m.Params.Count < 2 || m[1].Length == 0) { Lines(renderer.Numeric(412, session, "No text to send")); return; }
        var text = m[1];
        var tags = Has(IrcCaps.MessageTags) ? ClientTags(m) : null;
        foreach (var target in Targets(m[0]))
        {
            if (RelayedBytes(verb, target, text) > IrcServerInfo.MaxLineBytes)
            {
                // ircdocs ERR_INPUTTOOLONG: a line that fits from the client but not once the server adds the sender's
                // prefix may be refused; refused whole, so nothing reaches anyone cut short.
                Lines(renderer.Numeric(417, session, "Input line was too long (with your prefix, it would pass 512 bytes)"));
                continue;
            }
            if (NameRules.NamesEqual(target, IrcServerInfo.ServiceNick))
            {
                if (kind == MessageKind.Normal) await Service(text);
                continue;
            }
            if (text.StartsWith("\u0001ACTION ", StringComparison.Ordinal) && kind == MessageKind.Normal)
            {
                var action = text[8..].TrimEnd('\u0001');
                Emit(new ChatCommand(CommandKind.Me, Target: target, Text: action) { ClientTags = tags });
                continue;
            }
            Emit(new ChatCommand(kind == MessageKind.Notice ? CommandKind.Notice : CommandKind.Msg, Target: target, Text: text) { ClientTags = tags });
        }
    }

    /// <summary>The bytes of ":nick!user@host VERB target :text\r\n", as others would receive it (without tags).</summary>
    private int RelayedBytes(string verb, string target, string text) =>
        TextRules.Utf8.GetByteCount(session.Origin.ToString()) + TextRules.Utf8.GetByteCount(target) + TextRules.Utf8.GetByteCount(text) + verb.Length + 7;

    // PRIVMSG Grove :<plain command>: the plain door's extras (bamboo, rooms, history, who, help) from IRC.
    private async Task Service(string text)
    {
        var line = text.Trim();
        if (line.Length == 0) return;
        if (!line.StartsWith('/') && !line.StartsWith('@') && !line.StartsWith('!')) line = "/" + line;
        var parsed = PlainCommandParser.Parse(line);
        if (parsed.Command is { Kind: CommandKind.Login or CommandKind.RegisterAccount } account)
        {
            await Flush();
            await AccountCommands.TryRunAsync(chat, session, account);
            return;
        }
        // The commands the table gives an IRC form to (the others have IRC commands of their own).
        if (parsed.Command is { Kind: not CommandKind.Help } c && CommandTable.OnIrcService(c.Kind))
        {
            // IRC has no room being looked at: a moderation command that would default to it names its channel.
            if (c.Target is null && CommandTable.Get(c.Kind) is { Access: Access.RoomOperator or Access.LoggedIn, DefaultsToRoom: RoomDefault.Target })
            {
                Lines(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", Me, "Name the channel: for example, ban #room NICK."));
                return;
            }
            Emit(c);
            return;
        }
        // Only the table's IRC forms are reachable here: a plain-only command's usage would point at a form refused.
        if (parsed.IsError && CommandTable.Find(line.Split(' ', 2)[0]) is { IrcSyntax: { } form })
        {
            Lines(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", Me, parsed.Error == ErrorCode.NeedMoreParams ? $"Usage: {form}" : parsed.ErrorText!));
            return;
        }
        var help = new StringBuilder();
        void Say(string s) => help.Append(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", Me, s));
        if (parsed.Command is not { Kind: CommandKind.Help }) Say($"I do not know \"{text}\".");
        foreach (var l in CommandTable.HelpLines(DoorSet.Irc)) Say(l);
        Lines(help.ToString());
    }

    // TOPIC <channel> [<topic>]
    private void Topic(IrcMessage m)
    {
        if (m.Params.Count == 0) { NeedMore("TOPIC"); return; }
        Emit(new ChatCommand(CommandKind.Topic, Target: m[0], Text: m.Params.Count > 1 ? m[1] : null));
    }

    // NAMES [<channel>{,<channel>}]
    private void Names(IrcMessage m)
    {
        var rooms = m.Params.Count > 0 ? m[0].Split(',', StringSplitOptions.RemoveEmptyEntries).Take(1).ToList() : [];
        EmitQuery(view =>
        {
            var sb = new StringBuilder();
            if (rooms.Count == 0) { sb.Append(renderer.Numeric(366, session, "*", "End of /NAMES list")); return sb.ToString(); }
            var room = view.RoomNamed(rooms[0]);
            if (room is null || !CanSee(room)) sb.Append(renderer.Numeric(366, session, rooms[0], "End of /NAMES list"));
            else renderer.AppendNames(sb, session, room.Name, (room.Modes & RoomModes.Secret) != 0, room.Members.DistinctBy(x => x.Name).Where(p => !p.Invisible || room.Contains(session) || p == session).Select(p => (p.Origin, room.StatusOf(p))));
            return sb.ToString();
        });
    }

    /// <summary>Secret rooms are visible to their members only. Command loop only.</summary>
    private bool CanSee(Room room) => (room.Modes & RoomModes.Secret) == 0 || room.Contains(session) || session.IsOperator;

    // LIST [<channel>{,<channel>}]
    private void List(IrcMessage m)
    {
        // ELIST=U: "<n" and ">n" filter by member count; anything else names channels.
        int? below = null, above = null;
        var names = new List<string>();
        foreach (var p in m.Params.Count > 0 ? m[0].Split(',', StringSplitOptions.RemoveEmptyEntries) : [])
        {
            if (p.Length > 1 && p[0] == '<' && int.TryParse(p.AsSpan(1), out var lt)) below = lt;
            else if (p.Length > 1 && p[0] == '>' && int.TryParse(p.AsSpan(1), out var gt)) above = gt;
            else names.Add(NameRules.Fold(p));
        }
        var only = names.Count > 0 ? names.ToHashSet() : null;
        EmitQuery(view =>
        {
            var sb = new StringBuilder();
            sb.Append(renderer.Numeric(321, session, "Channel", "Users  Name"));
            var shown = 0;
            // People, not connections: one account on several doors is one user of the channel.
            foreach (var room in view.AllRooms.OrderByDescending(r => r.PeopleCount).ThenBy(r => r.Key, StringComparer.Ordinal))
            {
                if (!CanSee(room) || only is not null && !only.Contains(room.Key)) continue;
                if (below is { } b && room.PeopleCount >= b || above is { } a && room.PeopleCount <= a) continue;
                if (++shown > MaxListEntries) break;
                sb.Append(renderer.Numeric(322, session, room.Name, room.PeopleCount.ToString(System.Globalization.CultureInfo.InvariantCulture), room.Topic ?? ""));
            }
            sb.Append(renderer.Numeric(323, session, "End of /LIST"));
            return sb.ToString();
        });
    }

    /// <summary>LIST shows at most this many rooms (the busiest first).</summary>
    public const int MaxListEntries = 1000;

    // KICK <channel> <nick>{,<nick>} [<reason>]
    private void Kick(IrcMessage m)
    {
        if (m.Params.Count < 2) { NeedMore("KICK"); return; }
        // RFC 2812 3.2.8: one channel and several users, or as many channels as users, paired in order.
        var rooms = m[0].Split(',', StringSplitOptions.RemoveEmptyEntries);
        var nicks = Targets(m[1]);
        if (rooms.Length == 0) { NeedMore("KICK"); return; }
        for (var i = 0; i < nicks.Count; i++)
            Emit(new ChatCommand(CommandKind.Kick, Target: rooms.Length == 1 ? rooms[0] : rooms[Math.Min(i, rooms.Length - 1)], Text: m.Params.Count > 2 ? m[2] : null, Args: [nicks[i]]));
    }

    // INVITE <nick> <channel>
    private void Invite(IrcMessage m)
    {
        if (m.Params.Count < 2) { NeedMore("INVITE"); return; }
        Emit(new ChatCommand(CommandKind.Invite, Target: m[0], Args: [m[1]]));
    }

    // MODE <channel> [<modes> [<args>…]] | MODE <nick> [<modes>]
    private void Mode(IrcMessage m)
    {
        if (m.Params.Count == 0) { NeedMore("MODE"); return; }
        var target = m[0];
        if (!NameRules.LooksLikeRoom(target))
        {
            UserMode(target, m.Params.Count > 1 ? m[1] : null);
            return;
        }
        if (m.Params.Count == 1)
        {
            EmitQuery(view =>
            {
                var room = view.RoomNamed(target);
                if (room is null) return renderer.Numeric(403, session, target, "No such channel");
                var modes = new StringBuilder("+");
                var args = new List<string>();
                if ((room.Modes & RoomModes.InviteOnly) != 0) modes.Append('i');
                if (room.Password is not null) { modes.Append('k'); args.Add(room.Contains(session) ? room.Password : "*"); }
                if (room.Limit > 0) { modes.Append('l'); args.Add(room.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
                if ((room.Modes & RoomModes.Moderated) != 0) modes.Append('m');
                if ((room.Modes & RoomModes.NoExternal) != 0) modes.Append('n');
                if ((room.Modes & RoomModes.Secret) != 0) modes.Append('s');
                if ((room.Modes & RoomModes.TopicLock) != 0) modes.Append('t');
                return renderer.Numeric(324, session, [room.Name, modes.ToString(), .. args])
                    + renderer.Numeric(329, session, room.Name, room.CreatedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            });
            return;
        }
        var changes = m[1];
        // MODE #chan b lists bans (367/368); MODE #chan q lists mutes (728/729, as solanum does).
        if (changes.Trim('+', '-') is "b" or "q" && m.Params.Count == 2)
        {
            var mutes = changes.Trim('+', '-') == "q";
            EmitQuery(view =>
            {
                var room = view.RoomNamed(target);
                if (room is null) return renderer.Numeric(403, session, target, "No such channel");
                var sb = new StringBuilder();
                foreach (var b in mutes ? room.Mutes : room.Bans)
                {
                    var at = b.SetAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var setBy = b.SetBy.Length > 0 ? b.SetBy : info.ServerName;
                    sb.Append(mutes ? renderer.Numeric(728, session, room.Name, "q", b.Mask, setBy, at) : renderer.Numeric(367, session, room.Name, b.Mask, setBy, at));
                }
                sb.Append(mutes ? renderer.Numeric(729, session, room.Name, "q", "End of channel quiet list") : renderer.Numeric(368, session, room.Name, "End of channel ban list"));
                return sb.ToString();
            });
            return;
        }
        // MODES=20: at most 20 mode letters in one command.
        var letters = 0;
        var kept = new StringBuilder();
        foreach (var c in changes)
        {
            if (c is '+' or '-') { kept.Append(c); continue; }
            if (++letters > 20) break;
            kept.Append(c);
        }
        Emit(new ChatCommand(CommandKind.Mode, Target: target, Text: kept.ToString(), Args: m.Params.Skip(2).ToList()));
    }

    // MODE <nick> [+|-][i|w|o]: only for yourself; +o comes only from OPER.
    private void UserMode(string nick, string? changes)
    {
        if (!NameRules.NamesEqual(nick, Me))
        {
            Lines(renderer.Numeric(502, session, "Cant change mode for other users"));
            return;
        }
        if (changes is null)
        {
            // Read on the command loop, after any change this connection asked for before.
            EmitQuery(view => renderer.Numeric(221, session, "+" + (session.IsBot ? "B" : "") + (session.Invisible ? "i" : "") + (session.IsOperator ? "o" : "") + (session.WantsWallops ? "w" : "")));
            return;
        }
        // Only the command loop changes a person's modes.
        Emit(new ChatCommand(CommandKind.UserModes, Text: changes));
    }
}
