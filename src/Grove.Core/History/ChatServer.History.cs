using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core;

// Where history is decided: every path (/history, IRC CHATHISTORY, the web door's history, the web API) asks with a
// HistoryQuery; access is checked here on the command loop, the store is read off it, and the door renders the page.
public sealed partial class ChatServer
{
    /// <summary>
    /// Answers a door's history query: access is decided on the command loop, after everything this connection sent
    /// before; the store is read once everything queued before it is committed, off the loop; <paramref name="render"/>
    /// turns the answer into the event the person gets, in order with the rest (with <paramref name="label"/>, labeled).
    /// <paramref name="render"/> runs on the commit loop: it may only build an event.
    /// </summary>
    public ValueTask ReadHistoryAsync(HistoryQuery query, Func<HistoryAnswer, ChatEvent> render, string? label = null, CancellationToken ct = default)
    {
        var s = query.Asker ?? throw new ArgumentException("A door's history query has the person who asks (the public's: ReadPublicHistoryAsync).", nameof(query));
        return QueryAsync(s, () =>
        {
            var plan = HistoryAccess.Decide(query, RoomOnLoop, out var denial);
            if (plan is null) return Labeled(render(HistoryAnswer.Denied(denial!)), label);
            AfterCommit(() => Labeled(render(HistoryAnswer.Of(HistoryReader.Read(_store, plan))), label), s);
            return null;
        }, ct);
    }

    /// <summary>
    /// History for nobody in particular (the public web API): public rooms only, messages sent behind no gate. Access
    /// is decided on the command loop; the store is read on the caller's thread.
    /// </summary>
    public async Task<HistoryAnswer> ReadPublicHistoryAsync(HistoryQuery query)
    {
        if (query.Asker is not null) throw new ArgumentException("The public's history query has nobody who asks.", nameof(query));
        HistoryDenial? denial = null;
        var plan = await OnLoop(null, () => HistoryAccess.Decide(query, RoomOnLoop, out denial));
        return plan is null ? HistoryAnswer.Denied(denial!) : HistoryAnswer.Of(HistoryReader.Read(_store, plan));
    }

    /// <summary>
    /// The conversations with messages in a window (IRC CHATHISTORY TARGETS): the person's rooms, read on the command
    /// loop, and the private conversations one of their owners had; each named as it is shown (a room by its name).
    /// </summary>
    public ValueTask ReadConversationsAsync(Session s, DateTimeOffset from, DateTimeOffset to, int limit,
        Func<IReadOnlyList<ConversationSummary>, ChatEvent> render, string? label = null, CancellationToken ct = default) =>
        QueryAsync(s, () =>
        {
            var names = s.Rooms.ToDictionary(r => r.Key, r => r.Name, StringComparer.Ordinal);
            var owners = s.HistoryOwners;
            AfterCommit(() => Labeled(render(_store.Conversations(owners, names.Keys.ToArray(), from, to, limit)
                .Select(c => c with { Target = names.GetValueOrDefault(Names.NameRules.Fold(c.Target)) ?? c.Target }).ToList()), label), s);
            return null;
        }, ct);

    private Room? RoomOnLoop(string name) => _rooms.GetValueOrDefault(Names.NameRules.Fold(name));

    private static ChatEvent Labeled(ChatEvent ev, string? label) => label is null ? ev : new LabeledReply(label, [ev]);

    // HISTORY [N | NAME | #room]: older messages of the current room (paging back each time), or of a private conversation.
    private void History(Session s, string? target, int? count)
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
        var plan = HistoryAccess.Decide(query, RoomOnLoop, out var denial);
        if (plan is null)
        {
            Error(s, denial!.Code, denial.Text, denial.Subject);
            return;
        }
        // Each call pages back from where the last one (or the join's replay) ended.
        var cursor = Cursor(s, plan.CursorKey);
        plan = plan with { Anchor = cursor.Oldest is > 0 and var oldest ? HistoryAnchor.Before(HistoryRef.ToId(oldest)) : HistoryAnchor.Latest() };
        if (plan.RoomKey is { } key && FromRing(_rooms[key], plan) is { } page)
        {
            if (page.Messages.Count > 0) cursor.Oldest = ((RoomMessageEvent)page.Messages[0]).Id;
            Send(s, new HistoryReply(page.Target, page.Messages, onJoin: false));
            return;
        }
        // Older than what the command loop keeps: read the store after everything before this command is committed.
        AfterCommit(() =>
        {
            var read = HistoryReader.Read(_store, plan);
            if (read.Messages.Count > 0) cursor.Oldest = cursor.Oldest == 0 ? Id(read.Messages[0]) : Math.Min(cursor.Oldest, Id(read.Messages[0]));
            return new HistoryReply(read.Target, read.Messages, onJoin: false);
        }, s);
    }

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

    private sealed class HistoryCursor { public long Oldest; }

    private static HistoryCursor Cursor(Session s, string key)
    {
        var map = s.HistoryCursors ??= new Dictionary<string, object>(StringComparer.Ordinal);
        if (!map.TryGetValue(key, out var c)) map[key] = c = new HistoryCursor();
        return (HistoryCursor)c;
    }
}
