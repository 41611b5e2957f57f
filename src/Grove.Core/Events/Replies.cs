using Grove.Core.Commands;
using Grove.Core.People;

namespace Grove.Core.Events;

// Replies go to the one person who asked. They are events too, so they travel the same ordered path as everything
// else and each door renders them its own way; being ReplyEvents, each rendering is for its recipient alone.

public sealed class ErrorReply(ErrorCode code, string text, string? subject = null) : ReplyEvent
{
    public ErrorCode Code { get; } = code;
    public string Text { get; } = text;
    /// <summary>The name or room the error is about, when there is one (IRC puts it in the numeric).</summary>
    public string? Subject { get; } = subject;
    /// <summary>For <see cref="ErrorCode.NameRegistered"/>: the account is online, and its password joins its connections.</summary>
    public bool NameOnline { get; init; }
    /// <summary>The command that failed, when the core ran one (IRC 461 names it).</summary>
    public CommandKind? Command { get; init; }
}

/// <summary>Registration succeeded: the person is in <see cref="Room"/> with <see cref="Others"/> other people.</summary>
public sealed class WelcomeReply(string name, string room, int others) : ReplyEvent
{
    public string Name { get; } = name;
    public string Room { get; } = room;
    public int Others { get; } = others;
}

/// <summary>The person joined (or switched to) a room: who is there and its topic.</summary>
public sealed class JoinedReply(string room, string? topic, IReadOnlyList<string> members, bool created, bool isWelcome) : ReplyEvent
{
    /// <summary>Each member's full identity, in the order of <see cref="Members"/> (IRCv3 userhost-in-names).</summary>
    public IReadOnlyList<Origin> Origins { get; init; } = [];
    /// <summary>Each member's away message (null when present), in the order of <see cref="Members"/>.</summary>
    public IReadOnlyList<string?> AwayMessages { get; init; } = [];
    /// <summary>Each member's standing, in the order of <see cref="Members"/>.</summary>
    public IReadOnlyList<Rooms.MemberStatus> Statuses { get; init; } = [];
    public string? TopicSetBy { get; init; }
    public DateTimeOffset? TopicSetAt { get; init; }
    /// <summary>The room is secret (+s): IRC's NAMES marks it with '@'.</summary>
    public bool Secret { get; init; }
    /// <summary>The name of the person who joined (in <see cref="Members"/> too), so a door can list the others.</summary>
    public string? Self { get; init; }
    /// <summary>True for the join into the default room that follows choosing a name.</summary>
    public bool IsWelcome { get; } = isWelcome;
    public string Room { get; } = room;
    public string? Topic { get; } = topic;
    public IReadOnlyList<string> Members { get; } = members;
    public bool Created { get; } = created;
    /// <summary>Everyone in the room, counted once each; more than <see cref="Members"/> when the door lists only some.</summary>
    public int People { get => _people ?? Members.Count; init => _people = value; }
    private readonly int? _people;
}

/// <summary>To the one who left: <see cref="Reason"/> is the reason they gave, or null (echoed back as they said it).</summary>
public sealed class PartedReply(string room, string? reason = null) : ReplyEvent
{
    public string Room { get; } = room;
    public string? Reason { get; } = reason;
}

/// <summary>The answer to /who: <see cref="Room"/> is null when it lists everyone online.</summary>
public sealed class WhoReply(string? room, IReadOnlyList<string> names) : ReplyEvent
{
    /// <summary>How many there are in all; more than <see cref="Names"/> holds when the list was capped.</summary>
    public int Total { get; init; }
    public string? Room { get; } = room;
    public IReadOnlyList<string> Names { get; } = names;
}

public sealed record RoomSummary(string Name, int Members, string? Topic);

public sealed class RoomsReply(IReadOnlyList<RoomSummary> rooms) : ReplyEvent
{
    /// <summary>How many rooms there are in all; more than <see cref="Rooms"/> holds when the list was capped.</summary>
    public int Total { get; init; }
    public IReadOnlyList<RoomSummary> Rooms { get; } = rooms;
}

public sealed class TopicReply(string room, string? topic, string? setBy) : ReplyEvent
{
    public string Room { get; } = room;
    public string? Topic { get; } = topic;
    public string? SetBy { get; } = setBy;
    /// <summary>When the topic was set (IRC 333), kept with the room.</summary>
    public DateTimeOffset? SetAt { get; init; }
}

public sealed class HelpReply : ReplyEvent
{
    public static readonly HelpReply Instance = new();
}

public sealed class BambooReply(string fact) : ReplyEvent
{
    public string Fact { get; } = fact;
}

/// <summary>The sender's own copy of a private message it sent (the other person gets a <see cref="PrivateMessageEvent"/>).</summary>
public sealed class PrivateSentReply(PrivateMessageEvent message) : ReplyEvent
{
    public PrivateMessageEvent Message { get; } = message;

    /// <summary>
    /// The copy for another connection of the sender (one account, many devices), not the one it was sent from: IRC
    /// shows it as the message itself, as bouncers do; the other doors as a sent message.
    /// </summary>
    public bool FromAnotherConnection { get; init; }
}

/// <summary>The person's own name changed (the others get a <see cref="NickEvent"/>).</summary>
public sealed class NickChangedReply(string oldName, string newName) : ReplyEvent
{
    public string OldName { get; } = oldName;
    public string NewName { get; } = newName;
}

/// <summary>A block of history: <see cref="Messages"/> are oldest first and each is marked <c>IsHistory</c>.</summary>
public sealed class HistoryReply(string target, IReadOnlyList<ChatEvent> messages, bool onJoin) : ReplyEvent
{
    public string Target { get; } = target;
    public IReadOnlyList<ChatEvent> Messages { get; } = messages;
    public bool OnJoin { get; } = onJoin;
}

/// <summary>The last line a person gets before the server closes their connection on purpose.</summary>
public sealed class GoodbyeReply(string text) : ReplyEvent
{
    public string Text { get; } = text;
}

/// <summary>To the inviter: the invitation was sent.</summary>
public sealed class InvitingReply(string room, string invitee) : ReplyEvent
{
    public string Room { get; } = room;
    public string Invitee { get; } = invitee;
}

/// <summary>Away was set (true) or cleared (false).</summary>
public sealed class AwayReply(bool away) : ReplyEvent
{
    public bool Away { get; } = away;
}

/// <summary>The person is now a server operator.</summary>
public sealed class OperReply : ReplyEvent
{
}

/// <summary>A private message reached someone who is away: their away message.</summary>
public sealed class AwayNoticeReply(string name, string message) : ReplyEvent
{
    public string Name { get; } = name;
    public string Message { get; } = message;
}

/// <summary>The sender's own copy of a room message or TAGMSG it sent (IRCv3 echo-message shows it; other doors do not).</summary>
public sealed class EchoReply(ChatEvent message) : ReplyEvent
{
    public ChatEvent Message { get; } = message;
}

/// <summary>Everything one labeled command produced for its sender, in order (IRCv3 labeled-response).</summary>
public sealed class LabeledReply(string label, IReadOnlyList<ChatEvent> events) : ReplyEvent
{
    public string Label { get; } = label;
    public IReadOnlyList<ChatEvent> Events { get; } = events;
}

/// <summary>The answer to MONITOR +/S: which of the names are online.</summary>
public sealed class MonitorStatusReply(IReadOnlyList<Origin> online, IReadOnlyList<string> offline) : ReplyEvent
{
    public IReadOnlyList<Origin> Online { get; } = online;
    public IReadOnlyList<string> Offline { get; } = offline;
}

/// <summary>MONITOR + went past the limit: these names were not added.</summary>
public sealed class MonitorFullReply(int limit, IReadOnlyList<string> names) : ReplyEvent
{
    public int Limit { get; } = limit;
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>You are now logged in to <see cref="Account"/> (IRC 900 RPL_LOGGEDIN); <see cref="Registered"/> when the account was just created.</summary>
public sealed class LoggedInReply(string account, bool registered) : ReplyEvent
{
    public string Account { get; } = account;
    public bool Registered { get; } = registered;
}

/// <summary>Lines of the audit log, newest first, already worded for people.</summary>
public sealed class AuditReply(string scope, IReadOnlyList<string> lines) : ReplyEvent
{
    public string Scope { get; } = scope;
    public IReadOnlyList<string> Lines { get; } = lines;
}

/// <summary>
/// The person's own modes changed (IRC MODE &lt;me&gt;): <see cref="Applied"/> as IRC writes them ("+iw"), empty when
/// nothing changed; <see cref="Unknown"/> when a letter was not a mode.
/// </summary>
public sealed class UserModesReply(string applied, bool unknown) : ReplyEvent
{
    public string Applied { get; } = applied;
    public bool Unknown { get; } = unknown;
}

/// <summary>
/// An answer that is facts in words, the same on every door: a heading and detail lines. Every renderer shows it (the
/// plain door as "* " lines, IRC as notices from Grove, the browser as a notice), so a command that answers with one
/// needs no renderer change. A field that anyone set goes in as it is: each renderer cleans its output.
/// </summary>
public abstract class TextReply : ReplyEvent
{
    public abstract string Heading { get; }
    public abstract IEnumerable<string> Details { get; }

    /// <summary>A duration as people say it: "42s", "5m 3s", "2h 7m", "3d 4h".</summary>
    public static string Duration(TimeSpan t) =>
        t.TotalDays >= 1 ? $"{(int)t.TotalDays}d {t.Hours}h"
        : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h {t.Minutes}m"
        : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m {t.Seconds}s"
        : $"{(int)t.TotalSeconds}s";
}

/// <summary>
/// Door-neutral facts about a person (/whois): <see cref="SharedRooms"/> are the rooms the asker is in with them,
/// <see cref="Idle"/> the time since they last sent anything.
/// </summary>
public sealed class WhoisReply(string name, string? account, string? away, IReadOnlyList<string> sharedRooms, TimeSpan idle, DateTimeOffset connectedAt) : TextReply
{
    public string Name { get; } = name;
    public string? Account { get; } = account;
    public string? Away { get; } = away;
    public IReadOnlyList<string> SharedRooms { get; } = sharedRooms;
    public TimeSpan Idle { get; } = idle;
    public DateTimeOffset ConnectedAt { get; } = connectedAt;

    public override string Heading => $"{Name}{(Account is { } account ? $", logged in as {account}" : ", a guest")}";

    public override IEnumerable<string> Details
    {
        get
        {
            if (Away is { } away) yield return $"away: {away}";
            yield return SharedRooms.Count == 0 ? "shares no room with you" : $"rooms you share: {string.Join(", ", SharedRooms)}";
            yield return $"idle {Duration(Idle)}, connected since {ConnectedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)} UTC";
        }
    }
}
