using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core.Handlers;

// /history: older messages of a room or a private conversation, from the room's ring or, past it, from the store once
// everything before is committed. Command loop only.
internal sealed partial class ChatHandlers
{
    // HISTORY [N | NAME | #room]: older messages of the current room (paging back each time), or of a private conversation.
    internal void History(Session s, string? target, int? count)
    {
        var n = count ?? _options.HistoryOnJoin;
        if (target is not null && !NameRules.LooksLikeRoom(target))
        {
            PrivateHistory(s, target, n);
            return;
        }
        Room? room;
        if (target is null) room = s.CurrentRoom;
        else if (!TryFindRoom(s, target, out room)) return;
        if (room is null)
        {
            Error(s, ErrorCode.NotInRoom, "You are not in a room.");
            return;
        }
        if (!room.Contains(s))
        {
            Error(s, ErrorCode.NotInRoom, $"You are not in {room.Name}.", room.Name);
            return;
        }
        var cursor = Cursor(s, room.Key);
        var before = cursor.Oldest;
        var reader = room.AdmissionOf(s)!;
        var fromRing = room.Recent.Latest(n, reader, before);
        if (fromRing is not null)
        {
            if (fromRing.Count > 0) cursor.Oldest = fromRing[0].Id;
            Send(s, new HistoryReply(room.Name, fromRing.Select(m => (ChatEvent)AsHistory(m)).ToList(), onJoin: false));
            return;
        }
        // Older than what the command loop keeps: read the store after everything before this command is committed.
        var roomName2 = room.Name;
        var key = room.Key;
        AfterCommit(store =>
        {
            var rows = store.RoomHistory(key, before, n, reader);
            if (rows.Count > 0) cursor.Oldest = Math.Min(cursor.Oldest, rows[0].Id);
            return new HistoryReply(roomName2, rows.Select(r => (ChatEvent)ToEvent(r, roomName2, history: true)).ToList(), onJoin: false);
        }, s);
    }

    private void PrivateHistory(Session s, string name, int n)
    {
        var problem = NameRules.ValidateName(name);
        if (problem is not null)
        {
            Error(s, ErrorCode.ErroneousName, problem, name);
            return;
        }
        var me = NameRules.Fold(s.Name!);
        var other = NameRules.Fold(name);
        var cursor = Cursor(s, "@" + other);
        var before = cursor.Oldest == 0 ? long.MaxValue : cursor.Oldest;
        var owners = s.HistoryOwners;
        AfterCommit(store =>
        {
            var rows = store.PrivateHistory(me, other, owners, before, n);
            if (rows.Count > 0) cursor.Oldest = rows[0].Id;
            return new HistoryReply(name, rows.Select(r => (ChatEvent)new PrivateMessageEvent(r.Id, r.Time, r.From, r.To!, r.Text, r.Kind) { IsHistory = true }).ToList(), onJoin: false);
        }, s);
    }

    /// <summary>
    /// Answers from the store once everything before this command is committed: the commit loop runs
    /// <paramref name="read"/> right after committing this batch and puts the answer in the batch's place for it, so it
    /// reaches the person in order with everything else (a /quit right after a /history still comes after its answer).
    /// For rare reads only (history past the in-memory ring, the audit log): the commit loop waits for it.
    /// </summary>
    internal void AfterCommit(Func<IMessageStore, ChatEvent> read, Session to) => _sink.ReadThen(read, to);

    private sealed class HistoryCursor { public long Oldest; }

    private static HistoryCursor Cursor(Session s, string key)
    {
        var map = s.HistoryCursors ??= new Dictionary<string, object>(StringComparer.Ordinal);
        if (!map.TryGetValue(key, out var c)) map[key] = c = new HistoryCursor();
        return (HistoryCursor)c;
    }
}
