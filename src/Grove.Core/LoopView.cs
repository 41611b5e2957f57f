using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Core.State;

namespace Grove.Core;

/// <summary>
/// Chat state as a door's query reads it: handed to the query on the command loop and closed when it returns, so a
/// view kept for later, or read from another thread meanwhile, throws instead of racing the loop. Read-only: a door
/// changes state only by submitting a command. Lists are enumerated lazily and checked as they are.
/// </summary>
public sealed class LoopView
{
    private readonly ChatState _state;
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private bool _open = true;

    internal LoopView(ChatState state) => _state = state;

    /// <summary>The query returned: from now on every read throws.</summary>
    internal void Close() => _open = false;

    private ChatState State
    {
        get
        {
            if (!_open || Environment.CurrentManagedThreadId != _thread)
                throw new InvalidOperationException("Chat state was read outside its query (a LoopView was kept, or used from another thread); read it inside the query.");
            return _state;
        }
    }

    /// <summary>A named person, or null.</summary>
    public Session? FindPerson(string name) => State.ByName.GetValueOrDefault(NameRules.Fold(name));

    /// <summary>A room by name, or null.</summary>
    public Room? RoomNamed(string name) => State.Rooms.GetValueOrDefault(NameRules.Fold(name));

    /// <summary>Everyone with a name.</summary>
    public IEnumerable<Session> People => Checked(State.ByName.Values);

    /// <summary>The rooms.</summary>
    public IEnumerable<Room> AllRooms => Checked(State.Rooms.Values);

    /// <summary>The rooms a person is in.</summary>
    public IEnumerable<Room> RoomsOf(Session s)
    {
        _ = State;
        return Checked(s.Rooms);
    }

    /// <summary>The names a person watches (MONITOR), folded.</summary>
    public IEnumerable<string> Watching(Session s)
    {
        _ = State;
        return s.WatchesAnyone ? Checked(s.Watching) : [];
    }

    /// <summary>People who had this name, newest first.</summary>
    public IEnumerable<WhoWasEntry> WhoWas(string name)
    {
        var key = NameRules.Fold(name);
        return Checked(State.WhoWas).Where(w => NameRules.Fold(w.Name) == key);
    }

    // Each step of an enumeration checks again: a list handed out in the query and enumerated after it throws.
    private IEnumerable<T> Checked<T>(IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            _ = State;
            yield return item;
        }
    }
}
