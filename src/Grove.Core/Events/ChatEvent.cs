using Grove.Core.People;

namespace Grove.Core.Events;

/// <summary>
/// Something that happened, to be told to one or many people. An event is rendered at most once per encoding key
/// (see <see cref="IEventRenderer.EncodingKey"/>) and the same bytes go to every recipient with that key.
/// Threading: encoding happens only on the core's delivery loop, so the cache needs no lock.
/// </summary>
public abstract class ChatEvent
{
    /// <summary>Who caused the event (for IRC prefixes); null when the server did or when it is not known.</summary>
    public Origin? By { get; init; }

    /// <summary>When it happened (IRCv3 server-time): given, or the time of the command that caused it.</summary>
    public DateTimeOffset At { get => _at; init { _at = value; _atGiven = true; } }

    private DateTimeOffset _at = DateTimeOffset.UtcNow;
    private bool _atGiven;

    /// <summary>Command loop: an event made by a command takes the command's time (a replayed one keeps its own).</summary>
    internal void StampAt(DateTimeOffset time)
    {
        if (_atGiven) return;
        _at = time;
        _atGiven = true;
    }

    private int _key0, _key1;
    private ReadOnlyMemory<byte> _bytes0, _bytes1;
    private Dictionary<int, ReadOnlyMemory<byte>>? _more;

    /// <summary>The bytes for this recipient, from the cache when another recipient with the same key had them.</summary>
    public ReadOnlyMemory<byte> EncodeFor(Session recipient)
    {
        var renderer = recipient.Renderer;
        var key = recipient.EncodingKey;
        if (key == 0 || this is ReplyEvent) return renderer.Render(this, recipient);
        if (key == _key0) return _bytes0;
        if (key == _key1) return _bytes1;
        if (_more is not null && _more.TryGetValue(key, out var cached)) return cached;

        var bytes = renderer.Render(this, recipient);
        if (_key0 == 0) { _key0 = key; _bytes0 = bytes; }
        else if (_key1 == 0) { _key1 = key; _bytes1 = bytes; }
        else (_more ??= new())[key] = bytes;
        return bytes;
    }
}

/// <summary>
/// An event for one recipient, rendered for them alone (it may name them, as IRC numerics do) and never cached:
/// the core sends it to one person only (<c>ChatServer.Send</c>; the many-recipient paths refuse it at compile time).
/// </summary>
public abstract class ReplyEvent : ChatEvent;

/// <summary>What kind of text a message carries.</summary>
public enum MessageKind { Normal, Action, Notice }

/// <summary>A message to a room. <see cref="Id"/> is unique and increasing across the server.</summary>
public sealed class RoomMessageEvent(long id, DateTimeOffset time, string room, string from, string text, MessageKind kind) : ChatEvent
{
    public long Id { get; } = id;
    public DateTimeOffset Time { get; } = time;
    public string Room { get; } = room;
    public string From { get; } = from;
    public string Text { get; } = text;
    public MessageKind Kind { get; } = kind;
    /// <summary>True when replayed from history rather than happening now.</summary>
    public bool IsHistory { get; init; }
    /// <summary>The room's gates when it was sent: who may have it replayed (<see cref="Rooms.Admission"/>).</summary>
    public Rooms.RoomGates Gates { get; init; }
    public long GatesSince { get; init; }
    /// <summary>Client-only tags to relay (IRCv3 message-tags), escaped; null when none.</summary>
    public string? ClientTags { get; init; }
    /// <summary>The sender is marked as a bot.</summary>
    public bool FromBot { get; init; }
}

/// <summary>A private message between two people.</summary>
public sealed class PrivateMessageEvent(long id, DateTimeOffset time, string from, string to, string text, MessageKind kind) : ChatEvent
{
    public long Id { get; } = id;
    public DateTimeOffset Time { get; } = time;
    public string From { get; } = from;
    public string To { get; } = to;
    public string Text { get; } = text;
    public MessageKind Kind { get; } = kind;
    public bool IsHistory { get; init; }
    /// <summary>Client-only tags to relay (IRCv3 message-tags), escaped; null when none.</summary>
    public string? ClientTags { get; init; }
    /// <summary>The sender is marked as a bot.</summary>
    public bool FromBot { get; init; }
}

public sealed class JoinEvent(string room, string name) : ChatEvent
{
    public string Room { get; } = room;
    public string Name { get; } = name;
    /// <summary>The joiner's real name (IRCv3 extended-join; their account is in <see cref="ChatEvent.By"/>).</summary>
    public string RealName { get; init; } = "";
    /// <summary>The joiner's away message, or null when they are here (IRCv3 away-notify follows the JOIN with AWAY).</summary>
    public string? AwayMessage { get; init; }
    /// <summary>People in the room with the joiner (the web door sends no join notices in very large rooms).</summary>
    public int RoomSize { get; init; }
}

public sealed class PartEvent(string room, string name, string reason) : ChatEvent
{
    public string Room { get; } = room;
    public string Name { get; } = name;
    public string Reason { get; } = reason;
}

public sealed class QuitEvent(string name, string reason) : ChatEvent
{
    public string Name { get; } = name;
    public string Reason { get; } = reason;
}

public sealed class NickEvent(string oldName, string newName) : ChatEvent
{
    public string OldName { get; } = oldName;
    public string NewName { get; } = newName;
}

public sealed class TopicEvent(string room, string setBy, string topic) : ChatEvent
{
    public string Room { get; } = room;
    public string SetBy { get; } = setBy;
    public string Topic { get; } = topic;
}

/// <summary>A notice from the server itself, such as the shutdown warning.</summary>
public sealed class ServerNoticeEvent(string text) : ChatEvent
{
    public string Text { get; } = text;
}

/// <summary>Someone was removed from a room by an operator.</summary>
public sealed class KickEvent(string room, string kicker, string target, string reason) : ChatEvent
{
    public string Room { get; } = room;
    public string Kicker { get; } = kicker;
    public string Target { get; } = target;
    public string Reason { get; } = reason;
}

/// <summary>Room modes changed: <see cref="Changes"/> as IRC writes them ("+o-t"), with their arguments.</summary>
public sealed class ModeEvent(string room, string setter, string changes, IReadOnlyList<string> args) : ChatEvent
{
    public string Room { get; } = room;
    public string Setter { get; } = setter;
    public string Changes { get; } = changes;
    public IReadOnlyList<string> Args { get; } = args;
}

/// <summary>To the person invited.</summary>
public sealed class InviteEvent(string room, string inviter, string invitee) : ChatEvent
{
    public string Room { get; } = room;
    public string Inviter { get; } = inviter;
    public string Invitee { get; } = invitee;
}

/// <summary>A server operator's message to operators and +w people.</summary>
public sealed class WallopsEvent(string from, string text) : ChatEvent
{
    public string From { get; } = from;
    public string Text { get; } = text;
}

/// <summary>A message carrying only tags (IRCv3 TAGMSG); not stored.</summary>
public sealed class TagMsgEvent(string target, string clientTags) : ChatEvent
{
    public string Target { get; } = target;
    public string ClientTags { get; } = clientTags;
    /// <summary>IRCv3 msgid: a TAGMSG is not stored, so it gets an id of its own, never equal to a stored message's number.</summary>
    public string MsgId { get; } = "t" + Guid.NewGuid().ToString("N");
}

/// <summary>Someone went away or came back (IRCv3 away-notify).</summary>
public sealed class AwayEvent(string name, string? message) : ChatEvent
{
    public string Name { get; } = name;
    public string? Message { get; } = message;
}

/// <summary>Someone was invited to a room you are in (IRCv3 invite-notify).</summary>
public sealed class InviteNotifyEvent(string room, string inviter, string invitee) : ChatEvent
{
    public string Room { get; } = room;
    public string Inviter { get; } = inviter;
    public string Invitee { get; } = invitee;
}

/// <summary>Someone changed their real name (IRCv3 setname).</summary>
public sealed class SetNameEvent(string name, string realName) : ChatEvent
{
    public string Name { get; } = name;
    public string RealName { get; } = realName;
}

/// <summary>A watched name came online or went offline (IRCv3 MONITOR): 730/731 name the watcher, so one per watcher.</summary>
public sealed class PresenceEvent(string name, bool online) : ReplyEvent
{
    public string Name { get; } = name;
    public bool Online { get; } = online;
}

/// <summary>
/// A person logged in to an account or out of one (<see cref="Account"/> null), for those who share a room with them
/// (IRCv3 account-notify).
/// </summary>
public sealed class AccountEvent(string name, string? account) : ChatEvent
{
    public string Name { get; } = name;
    public string? Account { get; } = account;
}
