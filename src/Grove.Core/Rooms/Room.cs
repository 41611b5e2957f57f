using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.People;

namespace Grove.Core.Rooms;

/// <summary>
/// A room. Changed only by the core's command loop. <see cref="Members"/> is an immutable snapshot replaced on
/// every join and part, so delivery and readers on other threads iterate it without a lock.
/// </summary>
/// <summary>Room modes that are on or off (IRC channel modes t, n, m, i, s).</summary>
[Flags]
public enum RoomModes
{
    None = 0,
    TopicLock = 1,      // +t: only operators set the topic
    NoExternal = 2,     // +n: only members send to the room
    Moderated = 4,      // +m: only voiced people and operators speak
    InviteOnly = 8,     // +i: only invited people join
    Secret = 16,        // +s: not listed to non-members
}

/// <summary>The gates a room had when a message was sent: whoever reads it later must have passed the same ones.</summary>
[Flags]
public enum RoomGates
{
    None = 0,
    Secret = 1,         // +s
    InviteOnly = 2,     // +i
    Keyed = 4,          // +k
    All = Secret | InviteOnly | Keyed,
}

/// <summary>
/// How a member came in: the gates the room had when they joined (which they passed), since when those gates stood
/// (<see cref="Room.GatesSince"/>), and the last message id before they joined. A message sent behind gates is replayed
/// to them only when it came after they joined (they saw it live), or when they passed the very gates it was sent
/// behind: the same ones, set at the same time. Gates set again later (say by whoever is first in the room after a
/// restart) are other gates and open nothing older.
/// </summary>
public sealed record Admission(RoomGates Gates, long GatesSince, long JoinedAfterId)
{
    /// <summary>Sees every message (loading the server's own memory, never for a person).</summary>
    public static readonly Admission Everything = new(RoomGates.All, -1, -1);

    public bool MaySee(RoomGates gates, long gatesSince, long id) =>
        gates == RoomGates.None || id > JoinedAfterId || gatesSince == GatesSince && (gates & ~Gates) == 0;
}

/// <summary>A member's standing in a room (IRC prefixes @ and +).</summary>
[Flags]
public enum MemberStatus { None = 0, Voice = 1, Operator = 2 }

public sealed class Room(string name)
{
    private volatile Session[] _members = [];

    public string Name { get; } = name;
    public string Key { get; } = NameRules.Fold(name);
    public string? Topic { get; internal set; }
    public string? TopicSetBy { get; internal set; }
    public DateTimeOffset? TopicSetAt { get; internal set; }

    public Session[] Members => _members;

    private volatile int _people;

    /// <summary>
    /// How many people are in the room, each once: the connections of one account share a name and count as one
    /// person (<see cref="Members"/> has every connection). Any thread.
    /// </summary>
    public int PeopleCount => _people;

    /// <summary>New rooms are +nt, as on most IRC networks.</summary>
    public RoomModes Modes { get; internal set; } = RoomModes.TopicLock | RoomModes.NoExternal;
    public string? Password { get; internal set; }
    public int Limit { get; internal set; }
    public DateTimeOffset CreatedAt { get; internal set; } = DateTimeOffset.UtcNow;

    /// <summary>The gates in force now: secret, invite-only, keyed.</summary>
    public RoomGates Gates =>
        ((Modes & RoomModes.Secret) != 0 ? RoomGates.Secret : 0) | ((Modes & RoomModes.InviteOnly) != 0 ? RoomGates.InviteOnly : 0)
        | (Password is not null ? RoomGates.Keyed : 0);

    /// <summary>The last message id before the current gates (and key) were set. Core loop only.</summary>
    public long GatesSince { get; internal set; }

    private readonly Dictionary<Session, Admission> _admissions = new();

    /// <summary>How a member came in (see <see cref="Admission"/>); null for someone not in the room. Core loop only.</summary>
    public Admission? AdmissionOf(Session s) => _admissions.GetValueOrDefault(s);

    /// <summary>Ban masks (nick!user@host with * and ?). Core loop only.</summary>
    public List<BanEntry> Bans { get; } = new();

    /// <summary>Folded names invited past +i (and bans). Core loop only.</summary>
    internal HashSet<string> Invited { get; } = new(StringComparer.Ordinal);

    private readonly Dictionary<Session, MemberStatus> _status = new();

    /// <summary>A member's status. Core loop only (queries run there too).</summary>
    public MemberStatus StatusOf(Session s) => _status.GetValueOrDefault(s);

    internal void SetStatus(Session s, MemberStatus status)
    {
        if (status == MemberStatus.None) _status.Remove(s);
        else _status[s] = status;
    }

    public bool IsOperator(Session s) => (StatusOf(s) & MemberStatus.Operator) != 0;
    public bool CanSpeak(Session s) => (Modes & RoomModes.Moderated) == 0 || StatusOf(s) != MemberStatus.None;

    /// <summary>True when a ban mask matches the person.</summary>
    public bool IsBanned(Session s) => AnyMatches(Bans, s);

    /// <summary>Mute masks (IRC list mode +q): matching people may be in the room but not speak. Core loop only.</summary>
    public List<BanEntry> Mutes { get; } = new();

    /// <summary>True when a mute mask matches the person and no operator or voice status lifts it.</summary>
    public bool IsMuted(Session s) => StatusOf(s) == MemberStatus.None && AnyMatches(Mutes, s);

    private static bool AnyMatches(List<BanEntry> list, Session s)
    {
        var who = s.Origin;
        foreach (var b in list) if (Names.Mask.MatchesPerson(b.Mask, who)) return true;
        return false;
    }

    /// <summary>The owner account (folded) of a registered room, or null: only registered rooms outlive a restart's
    /// emptiness with their modes, lists and access. Core loop only.</summary>
    public string? Owner { get; internal set; }
    public DateTimeOffset? RegisteredAt { get; internal set; }

    /// <summary>Accounts (folded) that get operator, or voice, whenever they join a registered room. Core loop only.</summary>
    internal HashSet<string> AccessOperators { get; } = new(StringComparer.Ordinal);
    internal HashSet<string> AccessVoices { get; } = new(StringComparer.Ordinal);

    /// <summary>Recent messages, newest last, so a join can replay them without reading the store.</summary>
    internal RecentMessages Recent { get; } = new(512);

    internal void AddMember(Session s, Admission admission)
    {
        _admissions[s] = admission;
        var old = _members;
        if (!HasName(old, s.Name)) _people++;
        var next = new Session[old.Length + 1];
        old.CopyTo(next, 0);
        next[^1] = s;
        _members = next;
    }

    internal bool RemoveMember(Session s)
    {
        _status.Remove(s);
        _admissions.Remove(s);
        var old = _members;
        var i = Array.IndexOf(old, s);
        if (i < 0) return false;
        var next = new Session[old.Length - 1];
        Array.Copy(old, 0, next, 0, i);
        Array.Copy(old, i + 1, next, i, old.Length - i - 1);
        _members = next;
        if (!HasName(next, s.Name)) _people--;
        return true;
    }

    // A scan, like the copy beside it: joins and parts are rare next to messages.
    private static bool HasName(Session[] members, string? name)
    {
        foreach (var m in members) if (string.Equals(m.Name, name, StringComparison.Ordinal)) return true;
        return false;
    }

    public bool Contains(Session s) => Array.IndexOf(_members, s) >= 0;

    /// <summary>
    /// The channel ended (nobody is in it): back to a new room's settings, so no one can lock a name for ever by
    /// setting a key and leaving. Its history stays.
    /// </summary>
    internal void Reset(DateTimeOffset now)
    {
        Topic = null;
        TopicSetBy = null;
        TopicSetAt = null;
        Modes = RoomModes.TopicLock | RoomModes.NoExternal;
        Password = null;
        Limit = 0;
        Bans.Clear();
        Mutes.Clear();
        Invited.Clear();
        _status.Clear();
        CreatedAt = now;
    }
}

/// <summary>A ban: the mask, who set it and when.</summary>
public sealed record BanEntry(string Mask, string SetBy, DateTimeOffset SetAt);

/// <summary>A fixed-size ring of a room's latest messages. Core loop only.</summary>
internal sealed class RecentMessages(int capacity)
{
    private readonly RoomMessageEvent[] _ring = new RoomMessageEvent[capacity];
    private int _next, _count;

    public int Count => _count;
    public int Capacity => _ring.Length;

    public void Add(RoomMessageEvent m)
    {
        _ring[_next] = m;
        _next = (_next + 1) % _ring.Length;
        if (_count < _ring.Length) _count++;
    }

    /// <summary>
    /// The newest <paramref name="n"/> messages older than <paramref name="beforeId"/> that the <paramref name="reader"/>
    /// may see, oldest first; null when the ring cannot tell for sure.
    /// </summary>
    public List<RoomMessageEvent>? Latest(int n, Admission reader, long beforeId = long.MaxValue)
    {
        var result = new List<RoomMessageEvent>(Math.Min(n, _count));
        for (var k = 1; k <= _count && result.Count < n; k++)
        {
            var m = _ring[(_next - k + _ring.Length) % _ring.Length];
            if (m.Id < beforeId && reader.MaySee(m.Gates, m.GatesSince, m.Id)) result.Add(m);
        }
        // If the ring is full and we ran out of it before finding n, older messages may exist only in the store.
        if (result.Count < n && (_count == _ring.Length || _gapped)) return null;
        result.Reverse();
        return result;
    }

    // Set when messages were taken out of a full ring: it no longer holds everything newer than the store's rest.
    private bool _gapped;

    /// <summary>Takes out messages that were never stored (a failed commit), keeping the others in order.</summary>
    public void Remove(IReadOnlySet<long> ids)
    {
        var kept = new List<RoomMessageEvent>(_count);
        for (var k = _count; k >= 1; k--)
        {
            var m = _ring[(_next - k + _ring.Length) % _ring.Length];
            if (!ids.Contains(m.Id)) kept.Add(m);
        }
        if (kept.Count == _count) return;
        _gapped |= _count == _ring.Length;
        Array.Clear(_ring);
        _next = _count = 0;
        foreach (var m in kept) Add(m);
    }
}
