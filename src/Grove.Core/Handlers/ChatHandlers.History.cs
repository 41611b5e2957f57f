using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core.Handlers;

// /history: older messages of a room or a private conversation, decided by HistoryAccess like every other history
// path, answered from the room's ring or, past it, from the store once everything before is committed. Command loop only.
internal sealed partial class ChatHandlers
{
    // HISTORY [N | NAME | #room]: older messages of the current room (paging back each time), or of a private conversation.
    internal void History(Session s, string? target, int? count)
    {
        if (target is null)
        {
            if (s.CurrentRoom is not { } current)
            {
                Error(s, ErrorCode.NotInRoom, "You are not in a room.");
                return;
            }
            target = current.Name;
        }
        var query = new HistoryQuery(s, target, HistoryAnchor.Latest(), count ?? _options.HistoryOnJoin);
        var plan = HistoryAccess.Decide(query, RoomNamed, out var denial);
        if (plan is null)
        {
            Error(s, denial!.Code, denial.Text, denial.Subject);
            return;
        }
        // Each call pages back from where the last one (or the join's replay) ended.
        var cursor = Cursor(s, plan.CursorKey);
        plan = plan with { Anchor = cursor.Oldest is > 0 and var oldest ? HistoryAnchor.Before(HistoryRef.ToId(oldest)) : HistoryAnchor.Latest() };
        if (plan.RoomKey is { } key && FromRing(_state.Rooms[key], plan) is { } page)
        {
            if (page.Messages.Count > 0) cursor.Oldest = ((RoomMessageEvent)page.Messages[0]).Id;
            Send(s, new HistoryReply(page.Target, page.Messages, onJoin: false));
            return;
        }
        // Older than what the command loop keeps: read the store after everything before this command is committed.
        AfterCommit(store =>
        {
            var read = HistoryReader.Read(store, plan);
            if (read.Messages.Count > 0) cursor.Oldest = cursor.Oldest == 0 ? Id(read.Messages[0]) : Math.Min(cursor.Oldest, Id(read.Messages[0]));
            return new HistoryReply(read.Target, read.Messages, onJoin: false);
        }, s);
    }

    /// <summary>A room by name as the command loop sees it, or null.</summary>
    internal Room? RoomNamed(string name) => _state.Rooms.GetValueOrDefault(Names.NameRules.Fold(name));

    /// <summary>A page from the room's in-memory ring, which keeps who sent each message; null when the ring cannot tell.</summary>
    private static HistoryPage? FromRing(Room room, HistoryPlan plan)
    {
        var before = plan.Anchor.From.Id ?? long.MaxValue;
        // A member always has an admission; without one, only what was sent behind no gate.
        var reader = plan.Reader ?? new Admission(RoomGates.None, 0, long.MaxValue);
        var found = room.Recent.Latest(plan.Limit + 1, reader, before);
        if (found is null) return null;
        var moreBefore = found.Count > plan.Limit;
        var messages = found.Skip(moreBefore ? 1 : 0).Select(m => (ChatEvent)AsHistory(m)).ToList();
        var moreAfter = before != long.MaxValue && room.Recent.Latest(1, reader) is [{ } newest] && newest.Id >= before;
        return new HistoryPage(room.Name, messages, moreBefore, moreAfter, plan.Anchor);
    }

    private static long Id(ChatEvent m) => m switch { RoomMessageEvent r => r.Id, PrivateMessageEvent p => p.Id, _ => 0 };

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
