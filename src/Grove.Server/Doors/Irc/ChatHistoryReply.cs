using Grove.Core.Events;

namespace Grove.Server.Doors.Irc;

/// <summary>The answer to CHATHISTORY: messages (or TARGETS lines) sent in one batch of <see cref="BatchType"/>.</summary>
public sealed class ChatHistoryReply(string batchType, IReadOnlyList<string> batchParams, IReadOnlyList<ChatEvent> events) : ReplyEvent
{
    public string BatchType { get; } = batchType;
    public IReadOnlyList<string> BatchParams { get; } = batchParams;
    public IReadOnlyList<ChatEvent> Events { get; } = events;
}
