using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Core.State;

namespace Grove.Core;

// Door queries: door code that reads chat state on the command loop, in order with everything else.
public sealed partial class ChatServer
{
    /// <summary>
    /// Runs <paramref name="query"/> on the command loop, after everything this connection sent before, and sends
    /// the event it returns (if any) to the session. The query may read rooms, members and people
    /// (<see cref="FindPerson"/>, <see cref="People"/>, <see cref="RoomsOf"/>, <see cref="WhoWas"/>) but must not change them.
    /// </summary>
    public ValueTask QueryAsync(Session s, Func<ChatEvent?> query, CancellationToken ct = default, string? label = null) =>
        _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Query, default, null, null, query) { Label = label }, ct);

    /// <summary>A named person. Command loop (queries) only.</summary>
    public Session? FindPerson(string name) { AssertOnLoop(); return _state.ByName.GetValueOrDefault(NameRules.Fold(name)); }

    /// <summary>Everyone with a name. Command loop (queries) only.</summary>
    public IEnumerable<Session> People { get { AssertOnLoop(); return _state.ByName.Values; } }

    /// <summary>The rooms a person is in. Command loop (queries) only.</summary>
    public IReadOnlyList<Room> RoomsOf(Session s) { AssertOnLoop(); return s.Rooms; }

    /// <summary>A room by name. Command loop (queries) only.</summary>
    public Room? RoomNamed(string name) { AssertOnLoop(); return _state.Rooms.GetValueOrDefault(NameRules.Fold(name)); }

    /// <summary>The rooms. Command loop (queries) only.</summary>
    public IEnumerable<Room> AllRooms { get { AssertOnLoop(); return _state.Rooms.Values; } }

    /// <summary>The names a person watches (MONITOR), folded. Command loop (queries) only.</summary>
    public IEnumerable<string> Watching(Session s) { AssertOnLoop(); return s.WatchesAnyone ? s.Watching : []; }

    /// <summary>People who had this name, newest first. Command loop (queries) only.</summary>
    public IEnumerable<WhoWasEntry> WhoWas(string name)
    {
        AssertOnLoop();
        var key = NameRules.Fold(name);
        return _state.WhoWas.Where(w => NameRules.Fold(w.Name) == key);
    }

    /// <summary>
    /// Reads history for a door (IRC CHATHISTORY): <paramref name="check"/> runs on the command loop (membership,
    /// arguments) and may answer with an error; otherwise <paramref name="read"/> runs against the store after
    /// everything queued before it is committed, off the loop, and its answer goes to the person.
    /// </summary>
    public ValueTask ReadHistoryAsync(Session s, Func<ChatEvent?> check, Func<IMessageStore, ChatEvent> read, string? label, CancellationToken ct = default) =>
        QueryAsync(s, () =>
        {
            if (check() is { } refusal) return label is null ? refusal : new LabeledReply(label, [refusal]);
            _handlers.AfterCommit(store => label is null ? read(store) : new LabeledReply(label, [read(store)]), s);
            return null;
        }, ct);
}
