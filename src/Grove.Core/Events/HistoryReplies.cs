using Grove.Core.Commands;
using Grove.Core.History;

namespace Grove.Core.Events;

/// <summary>
/// What a door asked history for, carried back in the answer so its renderer shapes it (the core answers every use the
/// same way): the browser's scroll-back, or IRC's CHATHISTORY.
/// </summary>
public enum HistoryUse { ScrollBack, ChatHistory }

/// <summary>
/// A page answering a door's history query (<see cref="IChatCore.ReadHistoryAsync"/>). <see cref="Detail"/> is what the
/// door put in the query for its renderer (IRC: the CHATHISTORY subcommand).
/// </summary>
public sealed class HistoryPageReply(HistoryUse use, string detail, HistoryPage page) : ReplyEvent
{
    public HistoryUse Use { get; } = use;
    public string Detail { get; } = detail;
    public HistoryPage Page { get; } = page;
}

/// <summary>A door's history query refused: <see cref="Asked"/> is the target as the door gave it.</summary>
public sealed class HistoryDeniedReply(HistoryUse use, string detail, string asked, ErrorCode code, string text) : ReplyEvent
{
    public HistoryUse Use { get; } = use;
    public string Detail { get; } = detail;
    public string Asked { get; } = asked;
    public ErrorCode Code { get; } = code;
    public string Text { get; } = text;
}

/// <summary>
/// The conversations with a message in a time window (IRC CHATHISTORY TARGETS), earliest latest message first; a room
/// by its name, a private conversation by the other person's name.
/// </summary>
public sealed class ConversationsReply(IReadOnlyList<ConversationSummary> conversations) : ReplyEvent
{
    public IReadOnlyList<ConversationSummary> Conversations { get; } = conversations;
}
