using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;

namespace Grove.Core;

// Where history is decided: every path (/history, IRC CHATHISTORY, the web door's history, the web API) asks with a
// HistoryQuery; access is checked on the command loop (HistoryAccess), the store is read off it, and the door renders
// the page.
public sealed partial class ChatServer
{
    /// <summary>
    /// Answers a door's history query: access is decided on the command loop, after everything this connection sent
    /// before; the store is read once everything queued before it is committed, off the loop. The answer is an event
    /// (<see cref="HistoryPageReply"/> or <see cref="HistoryDeniedReply"/>, with the query's use and detail) that the
    /// person's renderer shapes, in order with the rest (with <paramref name="label"/>, labeled). No door code runs here.
    /// </summary>
    public ValueTask ReadHistoryAsync(HistoryQuery query, string? label = null, CancellationToken ct = default)
    {
        var s = query.Asker ?? throw new ArgumentException("A door's history query has the person who asks (the public's: ReadPublicHistoryAsync).", nameof(query));
        return QueryAsync(s, view =>
        {
            var plan = HistoryAccess.Decide(query, view.RoomNamed, out var denial);
            if (plan is null) return Labeled(new HistoryDeniedReply(query.Use, query.Detail, query.Target, denial!.Code, denial.Text), label);
            _handlers.AfterCommit(store => Labeled(new HistoryPageReply(query.Use, query.Detail, HistoryReader.Read(store, plan)), label), s);
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
        var plan = await OnLoop(null, () => HistoryAccess.Decide(query, _handlers.RoomNamed, out denial));
        if (plan is not null) await TablesHoldAppliedAsync().ConfigureAwait(false);
        return plan is null ? HistoryAnswer.Denied(denial!) : HistoryAnswer.Of(HistoryReader.Read(_store, plan));
    }

    /// <summary>The most conversations TARGETS looks at before it keeps those in the window.</summary>
    private const int ConversationScan = 100;

    /// <summary>
    /// The conversations whose latest message is in [<paramref name="from"/>, <paramref name="until"/>) (IRC CHATHISTORY
    /// TARGETS): the person's rooms, read on the command loop, and the private conversations one of their owners had;
    /// each named as it is shown (a room by its name), earliest latest message first, the first <paramref name="limit"/>.
    /// </summary>
    public ValueTask ReadConversationsAsync(Session s, DateTimeOffset from, DateTimeOffset until, int limit, string? label = null, CancellationToken ct = default) =>
        QueryAsync(s, view =>
        {
            var names = view.RoomsOf(s).ToDictionary(r => r.Key, r => r.Name, StringComparer.Ordinal);
            var owners = s.HistoryOwners;
            // A conversation whose latest message is past the window is left out, not cut at it (irctest: "excludes
            // updated targets"), so the store is read to the far future and filtered here.
            _handlers.AfterCommit(store => Labeled(new ConversationsReply(store.Conversations(owners, names.Keys.ToArray(), from, DateTimeOffset.MaxValue.AddYears(-1000), ConversationScan)
                .Where(c => c.Latest < until).OrderBy(c => c.Latest).Take(limit)
                .Select(c => c with { Target = names.GetValueOrDefault(Names.NameRules.Fold(c.Target)) ?? c.Target }).ToList()), label), s);
            return null;
        }, ct);

    private static ChatEvent Labeled(ChatEvent ev, string? label) => label is null ? ev : new LabeledReply(label, [ev]);
}
