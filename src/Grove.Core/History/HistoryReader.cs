using Grove.Core.Events;

namespace Grove.Core.History;

/// <summary>
/// Reads an allowed query's page from the store and makes its events: the one place stored rows become history.
/// Runs off the command loop (the commit loop, or a web request's thread); sees only the plan, never chat state.
/// </summary>
internal static class HistoryReader
{
    public static HistoryPage Read(IMessageStore store, HistoryPlan plan)
    {
        var whole = plan.RoomKey is not null
            ? new HistoryRange(plan.RoomKey, null, null, plan.Limit, NewestFirst: true) { Reader = plan.Reader }
            : new HistoryRange(null, plan.Me, plan.Other, plan.Limit, NewestFirst: true) { Owners = plan.Owners };
        var a = plan.Anchor;
        var limit = plan.Limit;
        IReadOnlyList<StoredMessage> rows = a.Kind switch
        {
            HistoryAnchorKind.Latest => store.Range(After(whole, a.From)),
            HistoryAnchorKind.Before => store.Range(Before(whole, a.From)),
            HistoryAnchorKind.After => store.Range(After(whole, a.From) with { NewestFirst = false }),
            HistoryAnchorKind.Around => Around(store, whole, a.From, limit),
            _ => store.Range(After(Before(whole, a.To), a.From) with { NewestFirst = a.Direction == HistoryDirection.Backward }),
        };
        bool moreBefore, moreAfter;
        if (rows.Count > 0)
        {
            moreBefore = Any(store, whole with { BeforeId = rows[0].Id });
            moreAfter = Any(store, whole with { AfterId = rows[^1].Id });
        }
        else
        {
            // Nothing in the window: is there anything on either side of it?
            var (low, high) = a.Kind == HistoryAnchorKind.Between ? (a.From, a.To) : (a.From, a.From);
            moreBefore = !low.IsOpen && Any(store, Before(whole, low));
            moreAfter = !high.IsOpen && Any(store, After(whole, high));
        }
        return new HistoryPage(plan.Display, rows.Select(r => ToEvent(r, plan.Display)).ToList(), moreBefore, moreAfter, a);
    }

    /// <summary>A stored row as a history event; a room's is shown under its current name.</summary>
    public static ChatEvent ToEvent(StoredMessage r, string roomName) => r.Room is not null
        ? new RoomMessageEvent(r.Id, r.Time, roomName, r.From, r.Text, r.Kind) { IsHistory = true, At = r.Time, Gates = r.Gates, GatesSince = r.GatesSince }
        : new PrivateMessageEvent(r.Id, r.Time, r.From, r.To!, r.Text, r.Kind) { IsHistory = true, At = r.Time };

    private static bool Any(IMessageStore store, HistoryRange r) => store.Range(r with { Limit = 1 }).Count > 0;

    private static HistoryRange After(HistoryRange r, HistoryRef x) => x.IsOpen ? r : r with { AfterId = x.Id, After = x.Time };
    private static HistoryRange Before(HistoryRange r, HistoryRef x) => x.IsOpen ? r : r with { BeforeId = x.Id, Before = x.Time };

    // Half the limit before the point, the rest from it on: one millisecond or one id back takes the point itself in.
    private static IReadOnlyList<StoredMessage> Around(IMessageStore store, HistoryRange r, HistoryRef x, int limit)
    {
        var before = store.Range(Before(r, x) with { Limit = limit / 2 });
        var after = store.Range(r with
        {
            NewestFirst = false,
            Limit = limit - before.Count,
            AfterId = x.Id is { } id ? id - 1 : null,
            After = x.Time is { } t ? t.AddMilliseconds(-1) : null,
        });
        return [.. before, .. after];
    }
}
