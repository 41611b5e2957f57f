using Grove.Core.Events;

namespace Grove.Core.History;

/// <summary>A message as the store keeps it. <see cref="Room"/> is null for a private message.</summary>
public sealed record StoredMessage(long Id, DateTimeOffset Time, string? Room, string From, string? To, string Text, MessageKind Kind);

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

    /// <summary>The newest <paramref name="limit"/> messages of a room with id below <paramref name="beforeId"/>, oldest first.</summary>
    IReadOnlyList<StoredMessage> RoomHistory(string roomKey, long beforeId, int limit);

    /// <summary>The newest messages between two people (names folded), oldest first.</summary>
    IReadOnlyList<StoredMessage> PrivateHistory(string nameKeyA, string nameKeyB, long beforeId, int limit);

    /// <summary>True when the last operation worked; false with <paramref name="problem"/> after a failure.</summary>
    bool IsHealthy(out string? problem);
}

/// <summary>A store failure with a message a person can act on.</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A store that keeps nothing, for tests of the core alone.</summary>
public sealed class NullMessageStore : IMessageStore
{
    public void Open() { }
    public long LastMessageId() => 0;
    public void Commit(IReadOnlyList<StoredMessage> messages, IReadOnlyList<StoredRoom> rooms) { }
    public IReadOnlyList<StoredRoom> LoadRooms() => [];
    public IReadOnlyList<StoredMessage> RoomHistory(string roomKey, long beforeId, int limit) => [];
    public IReadOnlyList<StoredMessage> PrivateHistory(string nameKeyA, string nameKeyB, long beforeId, int limit) => [];
    public bool IsHealthy(out string? problem) { problem = null; return true; }
    public void Dispose() { }
}
