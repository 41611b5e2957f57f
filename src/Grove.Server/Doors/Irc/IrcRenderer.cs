using System.Globalization;
using System.Text;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

/// <summary>
/// Renders core events as IRC lines (RFC 1459/2812). Events shared by many recipients carry no recipient-specific
/// part, so one rendering serves every IRC client; replies go to one person and name them in their numerics.
/// </summary>
public sealed partial class IrcRenderer(IrcServerInfo info) : IEventRenderer
{
    /// <summary>IRC keys are 0x100 plus the capability bits that change how shared events look.</summary>
    /// <summary>The event types this door shows nothing for, on purpose (a test holds every other type to a rendering).</summary>
    public static readonly IReadOnlySet<Type> ShowsNothing = new HashSet<Type>
    {
        // IRC answers HELP itself, and the plain and web doors' own replies.
        typeof(HelpReply),
        typeof(Plain.NamePromptReply),
        typeof(Plain.PasswordPromptReply),
        typeof(Web.PongReply),
        typeof(Web.WebPasswordReply),
        typeof(Web.WebTokenReply),
    };

    public int EncodingKey(Session recipient) => 0x100 | (int)(CapsOf(recipient) & IrcCaps.SharedRenderingMask);

    public static IrcCaps CapsOf(Session s) => (s.DoorState as IrcConnection)?.Caps ?? IrcCaps.None;

    public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient)
    {
        var sb = new StringBuilder(96);
        Append(sb, ev, recipient);
        return sb.Length == 0 ? ReadOnlyMemory<byte>.Empty : TextRules.Utf8.GetBytes(sb.ToString());
    }

    private static long s_batch;

    /// <summary>A batch reference unique on this server (IRCv3 batch).</summary>
    public static string NewBatchId() => "g" + Interlocked.Increment(ref s_batch).ToString(CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The message tags for an event as this recipient asked for them ("@…" and a space, or empty).</summary>
    private static string Tags(ChatEvent ev, IrcCaps caps)
    {
        if ((caps & (IrcCaps.ServerTime | IrcCaps.MessageTags | IrcCaps.AccountTag)) == 0) return "";
        var sb = new StringBuilder("@");
        // A message's time is the one it is stored with, so live copies and CHATHISTORY agree to the millisecond.
        var at = ev switch { RoomMessageEvent m => m.Time, PrivateMessageEvent p => p.Time, _ => ev.At };
        if ((caps & IrcCaps.ServerTime) != 0) sb.Append("time=").Append(Time(at));
        // IRCv3 account-tag: the sender's account (a nickname, escaped all the same: tags are a line's first bytes).
        if ((caps & IrcCaps.AccountTag) != 0 && ev.By?.Account is { } account) Sep(sb).Append("account=").Append(IrcMessage.EscapeTagValue(account));
        if ((caps & IrcCaps.MessageTags) != 0)
        {
            var (id, bot, client) = ev switch
            {
                RoomMessageEvent m => (m.Id > 0 ? m.Id.ToString(CultureInfo.InvariantCulture) : null, m.FromBot, m.ClientTags),
                PrivateMessageEvent p => (p.Id > 0 ? p.Id.ToString(CultureInfo.InvariantCulture) : null, p.FromBot, p.ClientTags),
                TagMsgEvent t => (t.MsgId, false, t.ClientTags),
                _ => (null, false, null),
            };
            if (id is not null) Sep(sb).Append("msgid=").Append(id);
            if (bot) Sep(sb).Append("bot");
            // Client-only tags are relayed as parsed again here: whatever the event holds, only valid keys and escaped values go out.
            if (!string.IsNullOrEmpty(client) && IrcMessage.FormatTags(IrcMessage.ParseTags(client).Where(t => t.Key.StartsWith('+'))) is { Length: > 0 } relayed) Sep(sb).Append(relayed);
        }
        return sb.Length == 1 ? "" : sb.Append(' ').ToString();
    }

    private static StringBuilder Sep(StringBuilder sb) => sb.Length > 1 ? sb.Append(';') : sb;

    /// <summary>Adds a tag to every line that does not already carry a batch tag (a line of an inner batch keeps its own).</summary>
    public static string TagEachLine(string lines, string tag, bool skipIfBatched)
    {
        var sb = new StringBuilder(lines.Length + 64);
        foreach (var line in lines.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            if (skipIfBatched && line.StartsWith('@') && (line.Contains("batch=") && line.IndexOf("batch=", StringComparison.Ordinal) < line.IndexOf(' ')))
                sb.Append(line);
            else if (line.StartsWith('@')) sb.Append('@').Append(tag).Append(';').Append(line, 1, line.Length - 1);
            else sb.Append('@').Append(tag).Append(' ').Append(line);
            sb.Append("\r\n");
        }
        return sb.ToString();
    }

    private static string Prefix(ChatEvent ev, string name) => ev.By?.ToString() ?? $"{name}!{name}@grove";

    private string Server => info.ServerName;

    /// <summary>A numeric reply: ":server NNN nick params…".</summary>
    public string Numeric(int code, Session to, params string[] ps)
    {
        var all = new string[ps.Length + 1];
        all[0] = to.Name ?? "*";
        ps.CopyTo(all, 1);
        var verb = code.ToString("000", CultureInfo.InvariantCulture);
        // Numerics end in prose, written as trailing; the few that end in a token (modes, a time, a mask) do not.
        return code is 4 or 221 or 324 or 329 or 333 or 341 or 354 or 367
            ? IrcMessage.Format(Server, verb, all)
            : IrcMessage.Text(Server, verb, all);
    }

    private void Append(StringBuilder sb, ChatEvent ev, Session me)
    {
        var caps = CapsOf(me);
        var tags = ev is RoomMessageEvent or PrivateMessageEvent or TagMsgEvent or JoinEvent or PartEvent or QuitEvent or NickEvent
            or TopicEvent or KickEvent or ModeEvent or AwayEvent or SetNameEvent or InviteNotifyEvent or InviteEvent or WallopsEvent
            ? Tags(ev, caps) : "";
        switch (ev)
        {
            case RoomMessageEvent m:
                IrcLongLines.AppendMessage(sb, tags, Prefix(m, m.From), m.Room, m.Text, m.Kind);
                break;
            case PrivateMessageEvent p:
                IrcLongLines.AppendMessage(sb, tags, Prefix(p, p.From), p.To, p.Text, p.Kind);
                break;
            case TagMsgEvent t:
                if ((caps & IrcCaps.MessageTags) != 0) sb.Append(tags).Append(IrcMessage.Format(t.By?.ToString() ?? "*", "TAGMSG", t.Target));
                break;
            case PrivateSentReply p:
                if (p.FromAnotherConnection || (caps & IrcCaps.EchoMessage) != 0) Append(sb, p.Message, me);
                break;
            case EchoReply e:
                if ((caps & IrcCaps.EchoMessage) != 0) Append(sb, e.Message, me);
                break;
            case LabeledReply l:
                AppendLabeled(sb, l, me, caps);
                break;
            case AwayEvent a:
                if ((caps & IrcCaps.AwayNotify) != 0)
                    sb.Append(tags).Append(a.Message is null ? IrcMessage.Format(Prefix(a, a.Name), "AWAY") : IrcMessage.Text(Prefix(a, a.Name), "AWAY", a.Message));
                break;
            case InviteNotifyEvent i:
                if ((caps & IrcCaps.InviteNotify) != 0) sb.Append(tags).Append(IrcMessage.Format(Prefix(i, i.Inviter), "INVITE", i.Invitee, i.Room));
                break;
            case SetNameEvent n:
                if ((caps & IrcCaps.SetName) != 0) sb.Append(tags).Append(IrcMessage.Text(Prefix(n, n.Name), "SETNAME", n.RealName));
                break;
            case PresenceEvent p:
                sb.Append(p.Online ? Numeric(730, me, Prefix(p, p.Name)) : Numeric(731, me, p.Name));
                break;
            case MonitorStatusReply m:
                if (m.Online.Count > 0) sb.Append(Numeric(730, me, string.Join(',', m.Online.Select(o => o.ToString()))));
                if (m.Offline.Count > 0) sb.Append(Numeric(731, me, string.Join(',', m.Offline)));
                break;
            case MonitorFullReply f:
                sb.Append(Numeric(734, me, f.Limit.ToString(CultureInfo.InvariantCulture), string.Join(',', f.Names), "Monitor list is full."));
                break;
            case HistoryPageReply or HistoryDeniedReply or ConversationsReply:
                AppendHistory(sb, ev, me, caps);
                break;
            case JoinEvent j:
                sb.Append(tags).Append((caps & IrcCaps.ExtendedJoin) != 0
                    ? IrcMessage.Text(Prefix(j, j.Name), "JOIN", j.Room, j.By?.Account ?? "*", j.RealName)
                    : IrcMessage.Format(Prefix(j, j.Name), "JOIN", j.Room));
                // away-notify: "the server MUST send an AWAY message ... when a user who is away joins a channel".
                if ((caps & IrcCaps.AwayNotify) != 0 && j.AwayMessage is not null)
                    sb.Append(tags).Append(IrcMessage.Text(Prefix(j, j.Name), "AWAY", j.AwayMessage));
                break;
            case AccountEvent a:
                if ((caps & IrcCaps.AccountNotify) != 0) sb.Append(tags).Append(IrcMessage.Format(Prefix(a, a.Name), "ACCOUNT", a.Account ?? "*"));
                break;
            case LoggedInReply l:
                sb.Append(Numeric(900, me, me.Origin.ToString(), l.Account, $"You are now logged in as {l.Account}"));
                if (l.Registered) sb.Append(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", me.Name ?? "*",
                    $"The nick {l.Account} is now your account. Log in next time with SASL PLAIN, or PASS {l.Account}:PASSWORD."));
                break;
            case AuditReply a:
                foreach (var line in a.Lines.Count == 0 ? [$"The audit log of {a.Scope} is empty."] : a.Lines.Prepend($"Audit log of {a.Scope}, newest first:"))
                    sb.Append(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", me.Name ?? "*", line));
                break;
            case JoinedReply j:
                sb.Append((caps & IrcCaps.ExtendedJoin) != 0
                    ? IrcMessage.Text(me.Origin.ToString(), "JOIN", j.Room, me.Account ?? "*", me.RealName)
                    : IrcMessage.Format(me.Origin.ToString(), "JOIN", j.Room));
                if (!string.IsNullOrEmpty(j.Topic))
                {
                    sb.Append(Numeric(332, me, j.Room, j.Topic));
                    if (j.TopicSetBy is { } by && j.TopicSetAt is { } at) sb.Append(Numeric(333, me, j.Room, by, at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
                }
                AppendNames(sb, me, j.Room, j.Secret, j.Members.Select((n, i) => (i < j.Origins.Count ? j.Origins[i] : new Origin(n, n, "grove"), i < j.Statuses.Count ? j.Statuses[i] : MemberStatus.None)));
                break;
            case PartEvent p:
                sb.Append(tags).Append(IrcMessage.Text(Prefix(p, p.Name), "PART", p.Room, p.Reason));
                break;
            case PartedReply p:
                // RFC 2812 3.2.2: "If a "Part Message" is given, this will be sent instead of the default message".
                sb.Append(p.Reason is null ? IrcMessage.Format(me.Origin.ToString(), "PART", p.Room) : IrcMessage.Text(me.Origin.ToString(), "PART", p.Room, p.Reason));
                break;
            case QuitEvent q:
                sb.Append(tags).Append(IrcMessage.Text(Prefix(q, q.Name), "QUIT", q.Reason));
                break;
            case NickEvent n:
                sb.Append(tags).Append(IrcMessage.Format(Prefix(n, n.OldName), "NICK", n.NewName));
                break;
            case NickChangedReply n:
                sb.Append(IrcMessage.Format($"{n.OldName}!{me.UserName}@{me.Host}", "NICK", n.NewName));
                break;
            case TopicEvent t:
                sb.Append(tags).Append(IrcMessage.Text(Prefix(t, t.SetBy), "TOPIC", t.Room, t.Topic));
                break;
            case TopicReply t:
                if (string.IsNullOrEmpty(t.Topic)) sb.Append(Numeric(331, me, t.Room, "No topic is set"));
                else
                {
                    sb.Append(Numeric(332, me, t.Room, t.Topic));
                    if (t.SetBy is not null && t.SetAt is { } at) sb.Append(Numeric(333, me, t.Room, t.SetBy, at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
                }
                break;
            case KickEvent k:
                sb.Append(tags).Append(IrcMessage.Text(Prefix(k, k.Kicker), "KICK", k.Room, k.Target, k.Reason));
                break;
            case ModeEvent m:
                sb.Append(tags).Append(IrcMessage.Format(Prefix(m, m.Setter), "MODE", [m.Room, m.Changes, .. m.Args]));
                break;
            case InviteEvent i:
                sb.Append(tags).Append(IrcMessage.Format(Prefix(i, i.Inviter), "INVITE", i.Invitee, i.Room));
                break;
            case InvitingReply i:
                sb.Append(Numeric(341, me, i.Invitee, i.Room));
                break;
            case AwayReply a:
                sb.Append(a.Away ? Numeric(306, me, "You have been marked as being away") : Numeric(305, me, "You are no longer marked as being away"));
                break;
            case AwayNoticeReply a:
                sb.Append(Numeric(301, me, a.Name, a.Message));
                break;
            case UserModesReply u:
                if (u.Unknown) sb.Append(Numeric(501, me, "Unknown MODE flag"));
                if (u.Applied.Length > 0) sb.Append(IrcMessage.Format(me.Name ?? "*", "MODE", me.Name ?? "*", u.Applied));
                break;
            case OperReply:
                sb.Append(Numeric(381, me, "You are now an IRC operator"));
                break;
            case WallopsEvent w:
                sb.Append(tags).Append(IrcMessage.Text(Prefix(w, w.From), "WALLOPS", w.Text));
                break;
            case ServerNoticeEvent n:
                sb.Append(IrcMessage.Text(Server, "NOTICE", "*", n.Text));
                break;
            case ErrorReply e:
                sb.Append(Error(e, me));
                break;
            case WelcomeReply:
                AppendWelcome(sb, me);
                break;
            case BambooReply b:
                foreach (var line in b.Fact.Split('\n'))
                    sb.Append(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", me.Name ?? "*", line.TrimEnd() is { Length: > 0 } l ? l : " "));
                break;
            case TextReply t:
                sb.Append(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", me.Name ?? "*", t.Heading));
                foreach (var detail in t.Details) sb.Append(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", me.Name ?? "*", "  " + detail));
                break;
            case HistoryReply h:
                // Clients with draft/chathistory fetch what they missed themselves; the others get it on join.
                if (h.OnJoin && (caps & IrcCaps.ChatHistory) != 0) break;
                if (h.Messages.Count == 0 && !h.OnJoin)
                    sb.Append(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", me.Name ?? "*", $"No older messages with {h.Target}."));
                foreach (var m in h.Messages) Append(sb, m, me);
                break;
            case RoomsReply r:
                sb.Append(Numeric(321, me, "Channel", "Users  Name"));
                foreach (var room in r.Rooms) sb.Append(Numeric(322, me, room.Name, room.Members.ToString(CultureInfo.InvariantCulture), room.Topic ?? ""));
                sb.Append(Numeric(323, me, "End of /LIST"));
                break;
            case WhoReply w:
                sb.Append(IrcMessage.Text(IrcServerInfo.ServicePrefix, "NOTICE", me.Name ?? "*",
                    $"{(w.Room is null ? "Online" : "In " + w.Room)} ({w.Names.Count}): {string.Join(", ", w.Names)}"));
                break;
            case GoodbyeReply g:
                sb.Append(IrcMessage.Text(null, "ERROR", $"Closing Link: {me.Name ?? "*"} ({g.Text})"));
                break;
            case IrcLinesReply r:
                sb.Append(TextRules.Utf8.GetString(r.Bytes.Span));
                break;
        }
    }

    internal static string Message(string prefix, string target, string text, MessageKind kind) => kind switch
    {
        MessageKind.Action => IrcMessage.Text(prefix, "PRIVMSG", target, $"\u0001ACTION {text}\u0001"),
        MessageKind.Notice => IrcMessage.Text(prefix, "NOTICE", target, text),
        _ => IrcMessage.Text(prefix, "PRIVMSG", target, text),
    };

    /// <summary>A member as NAMES shows them: all prefixes with multi-prefix, nick!user@host with userhost-in-names.</summary>
    public static string NamesEntry(Origin who, MemberStatus status, IrcCaps caps)
    {
        var prefix = (caps & IrcCaps.MultiPrefix) != 0
            ? ((status & MemberStatus.Operator) != 0 ? "@" : "") + ((status & MemberStatus.Voice) != 0 ? "+" : "")
            : (status & MemberStatus.Operator) != 0 ? "@" : (status & MemberStatus.Voice) != 0 ? "+" : "";
        return prefix + ((caps & IrcCaps.UserhostInNames) != 0 ? who.ToString() : who.Name);
    }

    /// <summary>RPL_NAMREPLY lines (353), split to stay under the line limit, then RPL_ENDOFNAMES (366).</summary>
    public void AppendNames(StringBuilder sb, Session me, string room, bool secret, IEnumerable<(Origin Who, MemberStatus Status)> members)
    {
        // RFC 2812 RPL_NAMREPLY: "@" is used for secret channels, "*" for private channels, and "=" for others.
        var kind = secret ? "@" : "=";
        var caps = CapsOf(me);
        var line = new StringBuilder();
        foreach (var (who, status) in members)
        {
            var entry = NamesEntry(who, status, caps);
            if (line.Length + entry.Length + room.Length + Server.Length + 40 > IrcServerInfo.MaxLineBytes)
            {
                sb.Append(Numeric(353, me, kind, room, line.ToString()));
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(entry);
        }
        if (line.Length > 0) sb.Append(Numeric(353, me, kind, room, line.ToString()));
        sb.Append(Numeric(366, me, room, "End of /NAMES list"));
    }

    private string Error(ErrorReply e, Session me)
    {
        var subject = e.Subject ?? "*";
        return e.Code switch
        {
            ErrorCode.NameInUse => Numeric(433, me, subject, "Nickname is already in use"),
            ErrorCode.NameRegistered => Numeric(433, me, subject, "Nickname is registered to an account: log in with SASL or PASS to use it"),
            ErrorCode.Muted => Numeric(404, me, subject, "Cannot send to channel (you are muted)"),
            ErrorCode.ErroneousName => Numeric(432, me, subject, $"Erroneous nickname: {e.Text}"),
            ErrorCode.NoSuchName => Numeric(401, me, subject, "No such nick/channel"),
            ErrorCode.NoSuchRoom or ErrorCode.BadRoomName => Numeric(403, me, subject, "No such channel"),
            ErrorCode.NotInRoom => Numeric(442, me, subject, "You're not on that channel"),
            ErrorCode.CannotSendToRoom => Numeric(404, me, subject, "Cannot send to channel"),
            ErrorCode.InviteOnly => Numeric(473, me, subject, "Cannot join channel (+i)"),
            ErrorCode.BadRoomKey => Numeric(475, me, subject, "Cannot join channel (+k)"),
            ErrorCode.RoomFull => Numeric(471, me, subject, "Cannot join channel (+l)"),
            ErrorCode.TooManyRooms => Numeric(405, me, subject, "You have joined too many channels"),
            ErrorCode.Banned => Numeric(474, me, subject, "Cannot join channel (+b)"),
            ErrorCode.OperatorNeeded => Numeric(482, me, subject, "You're not channel operator"),
            ErrorCode.Protected => Numeric(482, me, subject, e.Text),
            ErrorCode.NotPrivileged => Numeric(481, me, "Permission Denied- You're not an IRC operator"),
            ErrorCode.TargetNotInRoom => Numeric(441, me, [.. subject.Split(' '), "They aren't on that channel"]),
            ErrorCode.TargetAlreadyInRoom => Numeric(443, me, [.. subject.Split(' '), "is already on channel"]),
            ErrorCode.UnknownMode => Numeric(472, me, subject, "is unknown mode char to me"),
            // ircdocs ERR_INVALIDMODEPARAM: "<client> <target chan/user> <mode char> <parameter> :<description>".
            ErrorCode.InvalidModeParam => Numeric(696, me, [.. subject.Split(' ', 3), e.Text]),
            ErrorCode.NeedMoreParams => Numeric(461, me, Verb(e.Command), e.Text),
            ErrorCode.EmptyMessage => Numeric(412, me, "No text to send"),
            ErrorCode.InputTooLong => Numeric(417, me, "Input line was too long"),
            ErrorCode.UnknownCommand => Numeric(421, me, subject, "Unknown command"),
            ErrorCode.AlreadyRegistered => Numeric(462, me, "You may not reregister"),
            ErrorCode.NotRegistered => Numeric(451, me, "You have not registered"),
            _ => IrcMessage.Text(Server, "NOTICE", me.Name ?? "*", e.Text),
        };
    }

    /// <summary>The IRC command a core command came from, as 461 names it.</summary>
    private static string Verb(CommandKind? kind) => kind switch
    {
        null => "*",
        CommandKind.Say or CommandKind.Msg or CommandKind.Me => "PRIVMSG",
        CommandKind.Register => "NICK",
        CommandKind.PartAll => "JOIN",
        CommandKind.UserModes => "MODE",
        { } k => k.ToString().ToUpperInvariant(),
    };
}
