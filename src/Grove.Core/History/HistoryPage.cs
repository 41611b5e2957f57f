using Grove.Core.Commands;
using Grove.Core.Events;

namespace Grove.Core.History;

/// <summary>
/// A page of history, all a door needs to render its answer: <see cref="Messages"/> oldest first, each a
/// <see cref="RoomMessageEvent"/> or <see cref="PrivateMessageEvent"/> marked <c>IsHistory</c>; whether the reader
/// could see more before the first or after the last; and the anchor the page was read at (for a paging /history,
/// the point it had reached).
/// </summary>
public sealed record HistoryPage(string Target, IReadOnlyList<ChatEvent> Messages, bool MoreBefore, bool MoreAfter, HistoryAnchor Anchor);

/// <summary>Why a history query was refused, in the plain door's words; other doors map <see cref="Code"/> to theirs.</summary>
public sealed record HistoryDenial(ErrorCode Code, string Text, string Subject);

/// <summary>The core's answer to a history query: a page, or a refusal.</summary>
public sealed record HistoryAnswer
{
    private HistoryAnswer(HistoryPage? page, HistoryDenial? denial)
    {
        Page = page;
        Denial = denial;
    }

    public HistoryPage? Page { get; }
    public HistoryDenial? Denial { get; }

    public static HistoryAnswer Of(HistoryPage page) => new(page, null);
    public static HistoryAnswer Denied(HistoryDenial denial) => new(null, denial);
}
