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
    /// before; the store is read once everything queued before it is committed, off the loop; <paramref name="render"/>
    /// turns the answer into the event the person gets, in order with the rest (with <paramref name="label"/>, labeled).
    /// <paramref name="render"/> runs on the commit loop: it may only build an event.
    /// </summary>
    public ValueTask ReadHistoryAsync(HistoryQuery query, Func<HistoryAnswer, ChatEvent> render, string? label = null, CancellationToken ct = default)
    {
        var s = query.Asker ?? throw new ArgumentException("A door's history query has the person who asks (the public's: ReadPublicHistoryAsync).", nameof(query));
        return QueryAsync(s, view =>
        {
            var plan = HistoryAccess.Decide(query, view.RoomNamed, out var denial);
            if (plan is null) return Labeled(render(HistoryAnswer.Denied(denial!)), label);
            _handlers.AfterCommit(store => Labeled(render(HistoryAnswer.Of(HistoryReader.Read(store, plan))), label), s);
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
        return plan is null ? HistoryAnswer.Denied(denial!) : HistoryAnswer.Of(HistoryReader.Read(_store, plan));
    }

    /// <summary>
    /// The conversations with messages in a window (IRC CHATHISTORY TARGETS): the person's rooms, read on the command
    /// loop, and the private conversations one of their owners had; each named as it is shown (a room by its name).
    /// </summary>
    public ValueTask ReadConversationsAsync(Session s, DateTimeOffset from, DateTimeOffset to, int limit,
        Func<IReadOnlyList<ConversationSummary>, ChatEvent> render, string? label = null, CancellationToken ct = default) =>
        QueryAsync(s, view =>
        {
            var names = view.RoomsOf(s).ToDictionary(r => r.Key, r => r.Name, StringComparer.Ordinal);
            var owners = s.HistoryOwners;
            _handlers.AfterCommit(store => Labeled(render(store.Conversations(owners, names.Keys.ToArray(), from, to, limit)
                .Select(c => c with { Target = names.GetValueOrDefault(Names.NameRules.Fold(c.Target)) ?? c.Target }).ToList()), label), s);
            return null;
        }, ct);

    private static ChatEvent Labeled(ChatEvent ev, string? label) => label is null ? ev : new LabeledReply(label, [ev]);
}
