using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.People;

namespace Grove.Core.Rooms;

/// <summary>
/// A room. Changed only by the core's command loop. <see cref="Members"/> is an immutable snapshot replaced on
/// every join and part, so delivery and readers on other threads iterate it without a lock.
/// </summary>
public sealed class Room(string name)
{
    private volatile Session[] _members = [];

    public string Name { get; } = name;
    public string Key { get; } = NameRules.Fold(name);
    public string? Topic { get; internal set; }
    public string? TopicSetBy { get; internal set; }
    public DateTimeOffset? TopicSetAt { get; internal set; }

    public Session[] Members => _members;

    /// <summary>Recent messages, newest last, so a join can replay them without reading the store.</summary>
    internal RecentMessages Recent { get; } = new(512);

    internal void AddMember(Session s)
    {
        var old = _members;
        var next = new Session[old.Length + 1];
        old.CopyTo(next, 0);
        next[^1] = s;
        _members = next;
    }

    internal bool RemoveMember(Session s)
    {
        var old = _members;
        var i = Array.IndexOf(old, s);
        if (i < 0) return false;
        var next = new Session[old.Length - 1];
        Array.Copy(old, 0, next, 0, i);
        Array.Copy(old, i + 1, next, i, old.Length - i - 1);
        _members = next;
        return true;
    }

    public bool Contains(Session s) => Array.IndexOf(_members, s) >= 0;
}

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

    /// <summary>The newest <paramref name="n"/> messages older than <paramref name="beforeId"/>, oldest first; null when the ring cannot tell for sure.</summary>
    public List<RoomMessageEvent>? Latest(int n, long beforeId = long.MaxValue)
    {
        var result = new List<RoomMessageEvent>(Math.Min(n, _count));
        for (var k = 1; k <= _count && result.Count < n; k++)
        {
            var m = _ring[(_next - k + _ring.Length) % _ring.Length];
            if (m.Id < beforeId) result.Add(m);
        }
        // If the ring is full and we ran out of it before finding n, older messages may exist only in the store.
        if (result.Count < n && _count == _ring.Length) return null;
        result.Reverse();
        return result;
    }
}
