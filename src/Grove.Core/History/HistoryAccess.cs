using Grove.Core.Commands;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core.History;

/// <summary>
/// A query the core allowed, with everything the store read needs and nothing of the chat state: it is read on
/// another thread. A room's messages are those <see cref="Reader"/> may see (null: only those sent behind no gate);
/// a private conversation's those one of <see cref="Owners"/> sent or received.
/// </summary>
internal sealed record HistoryPlan(string Display, string? RoomKey, Admission? Reader, string? Me, string? Other, IReadOnlyList<string>? Owners,
    HistoryAnchor Anchor, int Limit)
{
    /// <summary>Where a paging /history remembers how far back it has gone.</summary>
    public string CursorKey => RoomKey ?? "@" + Other;
}

/// <summary>Who may read which history (docs/protocol.md, "Who may read history"). Command loop only.</summary>
internal static class HistoryAccess
{
    /// <summary>
    /// Decides <paramref name="query"/> for its asker (null: the public, who read only public rooms' messages sent
    /// behind no gate), with membership and ownership as they are now.
    /// </summary>
    public static HistoryPlan? Decide(HistoryQuery query, Func<string, Room?> findRoom, out HistoryDenial? denial)
    {
        denial = null;
        var asker = query.Asker;
        var target = query.Target;
        if (NameRules.LooksLikeRoom(target)) return DecideRoom(query, asker, findRoom(target), out denial);
        if (asker?.Name is not { } me)
        {
            denial = new HistoryDenial(ErrorCode.NoSuchRoom, $"There is no public room called {target}.", target);
            return null;
        }
        if (NameRules.ValidateName(target) is { } problem)
        {
            denial = new HistoryDenial(ErrorCode.ErroneousName, problem, target);
            return null;
        }
        // Only the asker's own side: what one of their owners (account, or this connection as a guest) had.
        return new HistoryPlan(target, null, null, NameRules.Fold(me), NameRules.Fold(target), asker.HistoryOwners, query.Anchor, query.Limit);
    }

    private static HistoryPlan? DecideRoom(HistoryQuery query, Session? asker, Room? room, out HistoryDenial? denial)
    {
        denial = null;
        var target = query.Target;
        if (asker is null)
        {
            if (room is null || !IsPublic(room))
            {
                denial = new HistoryDenial(ErrorCode.NoSuchRoom, $"There is no public room called {target}.", target);
                return null;
            }
            return new HistoryPlan(room.Name, room.Key, null, null, null, null, query.Anchor, query.Limit);
        }
        // A secret room is "no such room" to whoever is not in it, as /rooms, /who and /topic have it.
        if (room is null || !room.Contains(asker) && (room.Modes & RoomModes.Secret) != 0)
        {
            denial = NameRules.ValidateRoomName(target) is { } problem
                ? new HistoryDenial(ErrorCode.BadRoomName, problem, target)
                : new HistoryDenial(ErrorCode.NoSuchRoom, $"There is no room called {target}. Type /rooms to see them.", target);
            return null;
        }
        if (!room.Contains(asker))
        {
            denial = new HistoryDenial(ErrorCode.NotInRoom, $"You are not in {room.Name}.", room.Name);
            return null;
        }
        return new HistoryPlan(room.Name, room.Key, room.AdmissionOf(asker), null, null, null, query.Anchor, query.Limit);
    }

    /// <summary>Listed to everyone and readable without passing a gate (the web API's rooms).</summary>
    public static bool IsPublic(Room r) => (r.Modes & (RoomModes.Secret | RoomModes.InviteOnly)) == 0 && r.Password is null;
}
