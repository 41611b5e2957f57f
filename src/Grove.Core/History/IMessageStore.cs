using Grove.Core.Accounts;
using Grove.Core.Events;

namespace Grove.Core.History;

/// <summary>
/// A message as the store keeps it. <see cref="Room"/> is null for a private message, which belongs to
/// <see cref="FromOwner"/> and <see cref="ToOwner"/> (<see cref="People.Session.HistoryOwner"/>), not to the names.
/// </summary>
public sealed record StoredMessage(long Id, DateTimeOffset Time, string? Room, string From, string? To, string Text, MessageKind Kind)
{
    public string? FromOwner { get; init; }
    public string? ToOwner { get; init; }
    /// <summary>A room message's gates when it was sent (<see cref="Rooms.Admission"/>).</summary>
    public Rooms.RoomGates Gates { get; init; }
    public long GatesSince { get; init; }
}

/// <summary>A room as the store keeps it.</summary>
public sealed record StoredRoom(string Name, string? Topic, string? TopicSetBy, DateTimeOffset? TopicSetAt);

/// <summary>
/// Durable history. The core calls <see cref="Commit"/> from its single commit loop with everything that must be
/// durable before the matching events are delivered (group commit); reads may come from any thread.
/// Implementations: SQLite (the embedded default), PostgreSQL (several nodes).
/// </summary>
public interface IMessageStore : IDisposable
{
    /// <summary>Creates or migrates the schema. Throws <see cref="StoreException"/> with a message for a person.</summary>
    void Open();

    /// <summary>The highest message id ever stored, or 0.</summary>
    long LastMessageId();

    /// <summary>Writes messages and room changes in one transaction, durably, before returning.</summary>
    void Commit(IReadOnlyList<StoredMessage> messages, IReadOnlyList<StoredRoom> rooms);

    IReadOnlyList<StoredRoom> LoadRooms();

    /// <summary>
    /// The newest <paramref name="limit"/> messages of a room with id below <paramref name="beforeId"/> that a member
    /// admitted so may see (null: someone outside, who sees only messages sent behind no gate), oldest first.
    /// </summary>
    IReadOnlyList<StoredMessage> RoomHistory(string roomKey, long beforeId, int limit, Rooms.Admission? reader = null);

    /// <summary>
    /// The newest messages between two people (names folded) that one of <paramref name="owners"/> sent or received
    /// (<see cref="People.Session.HistoryOwners"/>), oldest first.
    /// </summary>
    IReadOnlyList<StoredMessage> PrivateHistory(string nameKeyA, string nameKeyB, IReadOnlyList<string> owners, long beforeId, int limit);

    /// <summary>Messages of one conversation within bounds (all bounds exclusive), oldest first.</summary>
    IReadOnlyList<StoredMessage> Range(HistoryRange range);

    /// <summary>
    /// The conversations with messages between two times: the given rooms and the private conversations one of
    /// <paramref name="owners"/> had, each with the time of its latest message in the window, most recent first.
    /// </summary>
    IReadOnlyList<ConversationSummary> Conversations(IReadOnlyList<string> owners, IReadOnlyCollection<string> roomKeys, DateTimeOffset from, DateTimeOffset to, int limit);

    /// <summary>True when the last operation worked; false with <paramref name="problem"/> after a failure.</summary>
    bool IsHealthy(out string? problem);

    /// <summary>
    /// Writes account and moderation changes (accounts, room settings, audit entries, tokens) in one transaction,
    /// from the commit loop, before the events that announce them are delivered. A store without accounts keeps none.
    /// </summary>
    void CommitChanges(StoreChanges changes) { }

    /// <summary>
    /// After a failed commit: tries one small write, from the commit loop. True when the store takes writes again;
    /// false or an exception when it still cannot.
    /// </summary>
    bool ProbeWrite() => true;

    /// <summary>Accounts, registered rooms and web tokens, read once at start.</summary>
    StoredState LoadState() => StoredState.Empty;

    /// <summary>The newest audit entries, newest first: of one room (folded name), or of everything when null.</summary>
    IReadOnlyList<AuditEntry> ReadAudit(string? roomKey, int limit) => [];
}

/// <summary>
/// Which messages to read: a room (<see cref="RoomKey"/>) or a private conversation (<see cref="NameA"/> and
/// <see cref="NameB"/>, folded, of which only what one of <see cref="Owners"/> sent or received: none when null);
/// optional exclusive bounds by id and by time; <see cref="NewestFirst"/> takes the newest <see cref="Limit"/> inside
/// the bounds (the result is still oldest first). A room's messages are those <see cref="Reader"/> may see.
/// </summary>
public sealed record HistoryRange(string? RoomKey, string? NameA, string? NameB, int Limit, bool NewestFirst)
{
    public IReadOnlyList<string>? Owners { get; init; }
    /// <summary>For a room: how the reader was admitted; null shows only messages sent behind no gate.</summary>
    public Rooms.Admission? Reader { get; init; }
    public long? AfterId { get; init; }
    public long? BeforeId { get; init; }
    public DateTimeOffset? After { get; init; }
    public DateTimeOffset? Before { get; init; }
}

/// <summary>A conversation and the time of its latest message: a room name, or the other person's name.</summary>
public sealed record ConversationSummary(string Target, DateTimeOffset Latest);

/// <summary>A store failure with a message a person can act on.</summary>
public class StoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A store that keeps nothing, for tests of the core alone.</summary>
public sealed class NullMessageStore : IMessageStore
{
    public void Open() { }
    public long LastMessageId() => 0;
    public void Commit(IReadOnlyList<StoredMessage> messages, IReadOnlyList<StoredRoom> rooms) { }
    public IReadOnlyList<StoredRoom> LoadRooms() => [];
    public IReadOnlyList<StoredMessage> RoomHistory(string roomKey, long beforeId, int limit, Rooms.Admission? reader) => [];
    public IReadOnlyList<StoredMessage> PrivateHistory(string nameKeyA, string nameKeyB, IReadOnlyList<string> owners, long beforeId, int limit) => [];
    public IReadOnlyList<StoredMessage> Range(HistoryRange range) => [];
    public IReadOnlyList<ConversationSummary> Conversations(IReadOnlyList<string> owners, IReadOnlyCollection<string> roomKeys, DateTimeOffset from, DateTimeOffset to, int limit) => [];
    public bool IsHealthy(out string? problem) { problem = null; return true; }
    public void Dispose() { }
}
