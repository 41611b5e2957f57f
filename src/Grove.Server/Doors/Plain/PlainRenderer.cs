using System.Text;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Wire;

namespace Grove.Server.Doors.Plain;

/// <summary>
/// Renders core events as the plain door's lines (docs/protocol.md, "Plain text door"): "name: text" for messages,
/// "* ..." for notices, "! ..." for errors, "[private] ..." for private messages. Lines end in CRLF so telnet shows
/// them right; netcat ignores the CR. Every line is cleaned whole on its way out (<see cref="Line"/>, the one rule in
/// <see cref="TextRules.Clean"/>), so no field anyone set can carry ESC, another control or a line break of its own.
/// </summary>
public sealed class PlainRenderer : IEventRenderer
{
    public const int Key = 1;
    private const string Eol = "\r\n";

    public static readonly byte[] NamePrompt = TextRules.Utf8.GetBytes("What is your name?" + Eol);

    /// <summary>
    /// Asked after a registered name is typed at the name prompt; <paramref name="online"/> when the account is. Both
    /// start alike, which the terminal client recognises.
    /// </summary>
    private static string PasswordPrompt(string name, bool online) => online
        ? $"The name {name} is registered. Type its password to join {name}, who is online with this account (or an empty line to choose another name):"
        : $"The name {name} is registered. Type its password (or an empty line to choose another name):";

    public static byte[] Greeting(string serverName) =>
        TextRules.Utf8.GetBytes($"Welcome to Grove ({serverName})!" + Eol);

    /// <summary>The event types this door shows nothing for, on purpose (a test holds every other type to a rendering).</summary>
    public static readonly IReadOnlySet<Type> ShowsNothing = new HashSet<Type>
    {
        // IRCv3 notifications and IRC's own replies, no echo of what you typed, and the web door's own replies.
        typeof(AccountEvent),
        typeof(AwayEvent),
        typeof(EchoReply),
        typeof(InviteNotifyEvent),
        typeof(LabeledReply),
        typeof(MonitorFullReply),
        typeof(MonitorStatusReply),
        typeof(PresenceEvent),
        typeof(SetNameEvent),
        typeof(TagMsgEvent),
        typeof(UserModesReply),
        typeof(ConversationsReply),
        typeof(Irc.IrcLinesReply),
        typeof(Web.PongReply),
        typeof(Web.WebPasswordReply),
        typeof(Web.WebTokenReply),
    };

    public int EncodingKey(Session recipient) => Key;

    public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient)
    {
        var text = RenderText(ev);
        return text is null ? ReadOnlyMemory<byte>.Empty : TextRules.Utf8.GetBytes(text);
    }

    /// <summary>The lines for an event, each ending in CRLF, or null when the plain door shows nothing.</summary>
    public static string? RenderText(ChatEvent ev)
    {
        var sb = new StringBuilder(64);
        switch (ev)
        {
            case RoomMessageEvent m:
                AppendMessage(sb, m.IsHistory ? $"[history {Stamp(m.Time)}] " : "", m.From, m.Text, m.Kind);
                break;
            case PrivateMessageEvent p:
                if (p.IsHistory)
                {
                    Line(sb, $"[history {Stamp(p.Time)}] [private {p.From} to {p.To}] {p.Text}");
                    break;
                }
                AppendMessage(sb, "[private] ", p.From, p.Text, p.Kind);
                break;
            case PrivateSentReply s:
                AppendMessage(sb, $"[private to {s.Message.To}] ", s.Message.From, s.Message.Text, s.Message.Kind);
                break;
            case JoinEvent j:
                Line(sb, $"* {j.Name} joined {j.Room}");
                break;
            case PartEvent p:
                Line(sb, $"* {p.Name} left {p.Room} ({p.Reason})");
                break;
            case QuitEvent q:
                Line(sb, $"* {q.Name} left ({q.Reason})");
                break;
            case NickEvent n:
                Line(sb, $"* {n.OldName} is now known as {n.NewName}");
                break;
            case NickChangedReply n:
                Line(sb, $"* You are now known as {n.NewName}");
                break;
            case TopicEvent t:
                Line(sb, $"* {t.SetBy} set the topic of {t.Room} to: {t.Topic}");
                break;
            case ServerNoticeEvent n:
                Line(sb, $"* {n.Text}");
                break;
            case ErrorReply e:
                Line(sb, $"! {e.Text}");
                break;
            case WelcomeReply w:
                var others = w.Others switch
                {
                    0 => "nobody else is here yet",
                    1 => "1 other person is here",
                    _ => $"{w.Others} other people are here",
                };
                Line(sb, $"* Welcome, {w.Name}! You are in {w.Room}; {others}. Type /help for the list of commands.");
                break;
            case JoinedReply j:
                if (!j.IsWelcome)
                {
                    // The others only: the person is in the list too (other doors show it with them).
                    var rest = j.Members.Where(n => n.Length > 0 && n != j.Self).ToList();
                    var who = rest.Count == 0 ? "nobody else is here" : $"also here: {string.Join(", ", rest.Take(25))}{(rest.Count > 25 ? ", …" : "")}";
                    Line(sb, $"* You joined {j.Room}{(j.Created ? " (a new room)" : "")}; {who}.");
                }
                if (j.Topic is not null) Line(sb, $"* Topic of {j.Room}: {j.Topic}");
                break;
            case PartedReply p:
                Line(sb, p.Reason is null ? $"* You left {p.Room}. Type /join #room to enter a room." : $"* You left {p.Room} ({p.Reason}). Type /join #room to enter a room.");
                break;
            case TextReply t:
                Line(sb, "* " + t.Heading);
                foreach (var detail in t.Details) Line(sb, "*   " + detail);
                break;
            case WhoReply w:
                var total = Math.Max(w.Total, w.Names.Count);
                var more = total > w.Names.Count ? $", and {total - w.Names.Count} more" : "";
                Line(sb, w.Room is null
                    ? $"* Online ({total}): {string.Join(", ", w.Names)}{more}"
                    : $"* In {w.Room} ({total}): {string.Join(", ", w.Names)}{more}");
                break;
            case RoomsReply r:
                Line(sb, $"* Rooms ({Math.Max(r.Total, r.Rooms.Count)}):" + (r.Total > r.Rooms.Count ? $" the {r.Rooms.Count} busiest" : ""));
                foreach (var room in r.Rooms)
                    Line(sb, room.Topic is null ? $"*   {room.Name} ({room.Members})" : $"*   {room.Name} ({room.Members}): {room.Topic}");
                break;
            case TopicReply t:
                Line(sb, t.Topic is null
                    ? $"* {t.Room} has no topic. Set one with /topic TEXT."
                    : $"* Topic of {t.Room}: {t.Topic}{(t.SetBy is null ? "" : $" (set by {t.SetBy})")}");
                break;
            case HelpReply:
                foreach (var line in CommandTable.HelpLines(DoorSet.Plain)) Line(sb, "* " + line);
                break;
            case BambooReply b:
                var lines = b.Fact.Split('\n');
                Line(sb, $"* 🐼 {lines[0].TrimEnd()}");
                foreach (var l in lines.Skip(1)) Line(sb, l.TrimEnd());
                break;
            case HistoryReply h:
                if (h.Messages.Count == 0)
                {
                    if (!h.OnJoin) Line(sb, $"* No older messages with {h.Target}.");
                    break;
                }
                foreach (var m in h.Messages) sb.Append(RenderText(m));
                break;
            case KickEvent k:
                Line(sb, $"* {k.Target} was kicked from {k.Room} by {k.Kicker} ({k.Reason})");
                break;
            case ModeEvent m:
                Line(sb, $"* {m.Setter} sets mode {m.Changes}{(m.Args.Count > 0 ? " " + string.Join(' ', m.Args) : "")} on {m.Room}");
                break;
            case InviteEvent i:
                Line(sb, $"* {i.Inviter} invites you to {i.Room}. Type /join {i.Room} to go there.");
                break;
            case InvitingReply i:
                Line(sb, $"* You invited {i.Invitee} to {i.Room}.");
                break;
            case AwayReply a:
                Line(sb, a.Away ? "* You are marked as away." : "* You are no longer marked as away.");
                break;
            case AwayNoticeReply a:
                Line(sb, $"* {a.Name} is away: {a.Message}");
                break;
            case OperReply:
                Line(sb, "* You are now a server operator.");
                break;
            case WallopsEvent w:
                Line(sb, $"* [wallops] {w.From}: {w.Text}");
                break;
            case NamePromptReply:
                Line(sb, "What is your name?");
                break;
            case PasswordPromptReply p:
                Line(sb, PasswordPrompt(p.Name, p.Online));
                break;
            case HistoryPageReply h:
                if (h.Page.Messages.Count == 0) Line(sb, $"* No older messages with {h.Page.Target}.");
                foreach (var m in h.Page.Messages) sb.Append(RenderText(m));
                break;
            case HistoryDeniedReply d:
                Line(sb, $"! {d.Text}");
                break;
            case GoodbyeReply g:
                Line(sb, $"* {g.Text}");
                break;
            case LoggedInReply l:
                Line(sb, l.Registered
                    ? $"* The name {l.Account} is now your account: no one else can use it. Next time, log in with /login {l.Account} PASSWORD."
                    : $"* You are logged in as {l.Account}.");
                break;
            case AuditReply a:
                if (a.Lines.Count == 0) Line(sb, $"* The audit log of {a.Scope} is empty.");
                else
                {
                    Line(sb, $"* Audit log of {a.Scope}, newest first:");
                    foreach (var l in a.Lines) Line(sb, $"*   {l}");
                }
                break;
            default:
                return null;
        }
        return sb.Length == 0 ? null : sb.ToString();
    }

    private static void AppendMessage(StringBuilder sb, string head, string from, string text, MessageKind kind) => Line(sb, kind switch
    {
        MessageKind.Action => $"{head}* {from} {text}",
        MessageKind.Notice => $"{head}-{from}- {text}",
        _ => $"{head}{from}: {text}",
    });

    /// <summary>Every line of this door goes out here, cleaned whole: whatever field it holds, it stays one line.</summary>
    private static void Line(StringBuilder sb, string line) => sb.Append(TextRules.Clean(line, TextTarget.Terminal)).Append(Eol);

    private static string Stamp(DateTimeOffset t)
    {
        var local = t.ToLocalTime();
        return local.Date == DateTimeOffset.Now.Date ? local.ToString("HH:mm") : local.ToString("yyyy-MM-dd HH:mm");
    }
}
