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
    /// the event it returns (if any) to the session. The query reads chat state through the <see cref="LoopView"/> it
    /// is handed, which closes when it returns.
    /// </summary>
    public ValueTask QueryAsync(Session s, Func<LoopView, ChatEvent?> query, CancellationToken ct = default, string? label = null) =>
        _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Query, default, null, null, query) { Label = label }, ct);

    /// <summary>Runs a door's query with a view that lives only while it runs.</summary>
    private ChatEvent? RunQuery(Func<LoopView, ChatEvent?> query)
    {
        var view = new LoopView(_state);
        try { return query(view); }
        finally { view.Close(); }
    }
}
