using System.Buffers;
using System.Text.Json;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Wire;

namespace Grove.Server.Doors.Web;

/// <summary>
/// Renders core events as the WebSocket door's JSON (docs/protocol.md, "Web door"), each JSON object already framed
/// as one WebSocket text message: a server frame is not masked, so these bytes, rendered once per event, go as they
/// are to every recipient (the same way the IRC door shares its lines). Informational replies (help, panda facts, who) travel as
/// "notice" objects carrying the plain door's text.
/// </summary>
public sealed partial class WebRenderer : IEventRenderer
{
    public const int Key = 3;

    /// <summary>The event types this door shows nothing for, on purpose (a test holds every other type to a rendering).</summary>
    public static readonly IReadOnlySet<Type> ShowsNothing = new HashSet<Type>
    {
        // Other doors' own replies and IRC's notifications and replies (IRCv3 tags, MONITOR, invite-notify, setname, user
        // modes, CHATHISTORY TARGETS).
        typeof(Irc.IrcLinesReply),
        typeof(Plain.NamePromptReply),
        typeof(Plain.PasswordPromptReply),
        typeof(ConversationsReply),
        typeof(TagMsgEvent),
        typeof(PresenceEvent),
        typeof(MonitorStatusReply),
        typeof(MonitorFullReply),
        typeof(InviteNotifyEvent),
        typeof(SetNameEvent),
        typeof(AccountEvent),
        typeof(UserModesReply),
    };

    /// <summary>
    /// From this many people a room is large for the browser: a join shows the first <see cref="MembersShown"/> names
    /// and the count, and nobody is sent a notice per arrival (thousands arriving at once would each cost everyone a
    /// frame and a full member list). The IRC and plain doors keep exact membership.
    /// </summary>
    public const int LargeRoom = DoorPolicy.LargeRoom;

    /// <summary>Names a "joined" lists for a large room.</summary>
    public const int MembersShown = 100;

    /// <summary>The web door's rules for its people: many rooms, the default room joined, a large room's first names.</summary>
    public static readonly DoorPolicy Policy = new(SingleRoom: false, AutoJoinDefaultRoom: true, Host: "web.grove") { NamesInLargeRoom = MembersShown };

    // A connection still sending its upgrade request renders alone (key 0), and gets nothing: it speaks HTTP yet.
    public int EncodingKey(Session recipient) => Handshaking(recipient) ? 0 : Key;

    private static bool Handshaking(Session? s) => s?.DoorState is WebSocketConnection { Upgraded: false };

    private long _renders;

    /// <summary>Events rendered so far (a fan-out renders each once, however many recipients).</summary>
    public long Renders => Interlocked.Read(ref _renders);

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_json;

    public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient)
    {
        if (Handshaking(recipient)) return ReadOnlyMemory<byte>.Empty;
        Interlocked.Increment(ref _renders);
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, ev);
        return buffer.WrittenCount == 0 ? ReadOnlyMemory<byte>.Empty : buffer.WrittenMemory;
    }

    private static void Write(ArrayBufferWriter<byte> buffer, ChatEvent ev)
    {
        switch (ev)
        {
            case JoinEvent { RoomSize: >= LargeRoom }:
                return;
            case LabeledReply l:
                foreach (var e in l.Events) Write(buffer, e);
                return;
            case EchoReply e:
                if (e.Message is RoomMessageEvent) Write(buffer, e.Message);
                return;
        }
        if (ShowsNothing.Contains(ev.GetType())) return;
        var json = t_json ??= new ArrayBufferWriter<byte>(256);
        json.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            Body(w, ev);
            w.WriteEndObject();
        }
        var length = json.WrittenCount;
        var span = buffer.GetSpan(WebSocketFrames.HeaderLength(length) + length);
        var header = WebSocketFrames.WriteHeader(span, WebSocketFrames.Text, length);
        json.WrittenSpan.CopyTo(span[header..]);
        buffer.Advance(header + length);
    }

    /// <summary>
    /// Every text value goes out through here, cleaned by the one rule (<see cref="TextRules.Clean"/>): the serializer
    /// escapes CR and LF, but the browser shows text with its line breaks, so they would still forge a line there.
    /// </summary>
    private static void Str(Utf8JsonWriter w, string name, string? value) => w.WriteString(name, TextRules.Clean(value, TextTarget.Line));

    private static string Kind(MessageKind k) => k switch { MessageKind.Action => "action", MessageKind.Notice => "notice", _ => "normal" };

    public static void Message(Utf8JsonWriter w, ChatEvent ev)
    {
        switch (ev)
        {
            case RoomMessageEvent m:
                w.WriteString("type", "message");
                w.WriteNumber("id", m.Id);
                w.WriteString("time", m.Time);
                Str(w, "room", m.Room);
                Str(w, "from", m.From);
                Str(w, "text", m.Text);
                Str(w, "kind", Kind(m.Kind));
                if (m.IsHistory) w.WriteBoolean("history", true);
                break;
            case PrivateMessageEvent p:
                w.WriteString("type", "private");
                w.WriteNumber("id", p.Id);
                w.WriteString("time", p.Time);
                Str(w, "from", p.From);
                Str(w, "to", p.To);
                Str(w, "text", p.Text);
                Str(w, "kind", Kind(p.Kind));
                if (p.IsHistory) w.WriteBoolean("history", true);
                break;
        }
    }

    private static void Messages(Utf8JsonWriter w, IReadOnlyList<ChatEvent> messages)
    {
        w.WriteStartArray("messages");
        foreach (var m in messages)
        {
            w.WriteStartObject();
            Message(w, m);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Body(Utf8JsonWriter w, ChatEvent ev)
    {
        switch (ev)
        {
            case RoomMessageEvent or PrivateMessageEvent:
                Message(w, ev);
                break;
            case PrivateSentReply p:
                Message(w, p.Message);
                break;
            case WelcomeReply m:
                w.WriteString("type", "welcome");
                Str(w, "name", m.Name);
                Str(w, "room", m.Room);
                w.WriteNumber("others", m.Others);
                break;
            case JoinEvent j:
                w.WriteString("type", "join");
                Str(w, "room", j.Room);
                Str(w, "name", j.Name);
                break;
            case JoinedReply j:
                w.WriteString("type", "joined");
                Str(w, "room", j.Room);
                if (j.Topic is not null) Str(w, "topic", j.Topic);
                var shown = j.People >= LargeRoom ? Math.Min(MembersShown, j.Members.Count) : j.Members.Count;
                if (shown < j.People)
                {
                    w.WriteNumber("count", j.People);
                    w.WriteBoolean("partial", true);
                }
                w.WriteStartArray("members");
                for (var i = 0; i < shown; i++)
                {
                    var status = i < j.Statuses.Count ? j.Statuses[i] : MemberStatus.None;
                    w.WriteStartObject();
                    Str(w, "name", j.Members[i]);
                    if ((status & MemberStatus.Operator) != 0) w.WriteBoolean("op", true);
                    if ((status & MemberStatus.Voice) != 0) w.WriteBoolean("voice", true);
                    if (i < j.AwayMessages.Count && j.AwayMessages[i] is { } away) Str(w, "away", away);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case PartEvent p:
                w.WriteString("type", "part");
                Str(w, "room", p.Room);
                Str(w, "name", p.Name);
                Str(w, "reason", p.Reason);
                break;
            case PartedReply p:
                w.WriteString("type", "parted");
                Str(w, "room", p.Room);
                if (p.Reason is not null) Str(w, "reason", p.Reason);
                break;
            case QuitEvent q:
                w.WriteString("type", "quit");
                Str(w, "name", q.Name);
                Str(w, "reason", q.Reason);
                break;
            case NickEvent n:
                w.WriteString("type", "nick");
                Str(w, "old", n.OldName);
                Str(w, "new", n.NewName);
                break;
            case NickChangedReply n:
                w.WriteString("type", "nick");
                Str(w, "old", n.OldName);
                Str(w, "new", n.NewName);
                w.WriteBoolean("self", true);
                break;
            case TopicEvent t:
                w.WriteString("type", "topic");
                Str(w, "room", t.Room);
                Str(w, "topic", t.Topic);
                Str(w, "by", t.SetBy);
                break;
            case TopicReply t:
                w.WriteString("type", "topic");
                Str(w, "room", t.Room);
                if (t.Topic is not null) Str(w, "topic", t.Topic);
                if (t.SetBy is not null) Str(w, "by", t.SetBy);
                break;
            case AwayEvent a:
                w.WriteString("type", "presence");
                Str(w, "name", a.Name);
                if (a.Message is not null) Str(w, "away", a.Message);
                break;
            case KickEvent k:
                w.WriteString("type", "kick");
                Str(w, "room", k.Room);
                Str(w, "name", k.Target);
                Str(w, "by", k.Kicker);
                Str(w, "reason", k.Reason);
                break;
            case ModeEvent m:
                w.WriteString("type", "mode");
                Str(w, "room", m.Room);
                Str(w, "by", m.Setter);
                Str(w, "changes", m.Changes);
                w.WriteStartArray("args");
                foreach (var a in m.Args) w.WriteStringValue(TextRules.Clean(a, TextTarget.Line));
                w.WriteEndArray();
                break;
            case InviteEvent i:
                w.WriteString("type", "invite");
                Str(w, "room", i.Room);
                Str(w, "by", i.Inviter);
                break;
            case RoomsReply r:
                w.WriteString("type", "rooms");
                w.WriteStartArray("rooms");
                foreach (var room in r.Rooms)
                {
                    w.WriteStartObject();
                    Str(w, "name", room.Name);
                    w.WriteNumber("members", room.Members);
                    if (room.Topic is not null) Str(w, "topic", room.Topic);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case HistoryReply h:
                w.WriteString("type", "history");
                Str(w, "target", h.Target);
                if (h.OnJoin) w.WriteBoolean("onJoin", true);
                Messages(w, h.Messages);
                break;
            case HistoryPageReply h:
                // Scroll-back (the only history query the browser makes): older messages, complete when none are older.
                w.WriteString("type", "history");
                Str(w, "target", h.Page.Target);
                w.WriteBoolean("older", true);
                w.WriteBoolean("complete", !h.Page.MoreBefore);
                Messages(w, h.Page.Messages);
                break;
            case HistoryDeniedReply d:
                w.WriteString("type", "error");
                w.WriteString("code", d.Code == ErrorCode.ErroneousName ? "erroneous_name" : "not_in_room");
                Str(w, "text", d.Code == ErrorCode.ErroneousName ? "Not a room or a name." : $"You are not in {d.Asked}.");
                Str(w, "subject", d.Asked);
                break;
            case ErrorReply e:
                w.WriteString("type", "error");
                w.WriteString("code", JsonNamingPolicy.SnakeCaseLower.ConvertName(e.Code.ToString()));
                Str(w, "text", e.Text);
                if (e.Subject is not null) Str(w, "subject", e.Subject);
                if (e.NameOnline) w.WriteBoolean("online", true);
                break;
            case GoodbyeReply g:
                w.WriteString("type", "goodbye");
                Str(w, "text", g.Text);
                break;
            case ServerNoticeEvent n:
                w.WriteString("type", "notice");
                Str(w, "text", n.Text);
                break;
            case PongReply:
                w.WriteString("type", "pong");
                break;
            case LoggedInReply l:
                w.WriteString("type", "loggedin");
                Str(w, "account", l.Account);
                w.WriteBoolean("registered", l.Registered);
                Str(w, "text", l.Registered
                    ? $"The name {l.Account} is now your account: no one else can use it. Next time, log in with /login {l.Account} PASSWORD."
                    : $"You are logged in as {l.Account}.");
                break;
            case WebTokenReply t:
                w.WriteString("type", "token");
                Str(w, "token", t.Token);
                break;
            case WebPasswordReply p:
                w.WriteString("type", "password");
                Str(w, "name", p.Name);
                break;
            case HelpReply:
                // The browser's own list: no aliases it would send as messages, and its /logout.
                w.WriteString("type", "notice");
                w.WriteString("text", string.Join("\n", CommandTable.HelpLines(DoorSet.Web).Select(l => "* " + l)));
                break;
            default:
                WriteNotice(w, ev);
                break;
        }
    }
}

public sealed class PongReply : ChatEvent
{
}

/// <summary>A session token for the browser to keep: it logs the account in again without the password.</summary>
public sealed class WebTokenReply(string token) : ChatEvent
{
    public string Token { get; } = token;
}

/// <summary>After a guest hello is refused: the name is an account (perhaps online now), so its password would let them in.</summary>
public sealed class WebPasswordReply(string name) : ChatEvent
{
    public string Name { get; } = name;
}
