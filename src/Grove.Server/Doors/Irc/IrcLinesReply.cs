using Grove.Core.Events;

namespace Grove.Server.Doors.Irc;

/// <summary>
/// Lines the IRC door made itself (numerics it answers without the core), sent in order with the core's answers. Only
/// <see cref="IrcRenderer"/> knows this type; the other doors show nothing for it. Every line was built through
/// <c>IrcMessage</c>, so its text is already cleaned.
/// </summary>
public sealed class IrcLinesReply(ReadOnlyMemory<byte> bytes) : ReplyEvent
{
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;
}
