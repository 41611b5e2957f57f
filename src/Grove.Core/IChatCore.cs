using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core;

/// <summary>
/// What a door may do with the chat: connect, submit commands, ask queries and close. Everything a door sends is
/// queued for the command loop, which alone changes state; events come back through the renderer and connection
/// control given to <see cref="Connect"/>. State is read only in a query, through the <see cref="LoopView"/> it is handed.
/// </summary>
public interface IChatCore
{
    ChatOptions Options { get; }

    /// <summary>
    /// A new connection on some door, with the door's rules for it (none: <see cref="DoorPolicy.ManyRooms"/>). It has no
    /// name until a Register command succeeds.
    /// </summary>
    Session Connect(DoorKind door, string remoteAddress, IEventRenderer renderer, IConnectionControl control, DoorPolicy? policy = null);

    /// <summary>Queues a command; waits only when the command queue is full.</summary>
    ValueTask SubmitAsync(Session s, ChatCommand command, CancellationToken ct = default);

    /// <summary>Runs a command and completes once its effects have been delivered.</summary>
    Task ExecuteAsync(Session s, ChatCommand command, CancellationToken ct = default);

    /// <summary>One client line's commands, door-made events and queries, in order, answered as one (with a label).</summary>
    ValueTask RunUnitAsync(Session s, IReadOnlyList<object> steps, string? label, CancellationToken ct = default);

    /// <summary>Reads state on the command loop, in order with this connection's commands; the answer goes to the person.</summary>
    ValueTask QueryAsync(Session s, Func<LoopView, ChatEvent?> query, CancellationToken ct = default, string? label = null);

    /// <summary>
    /// A history query (HistoryAccess decides on the command loop; the store is read after earlier commits); the answer
    /// is a HistoryPageReply or HistoryDeniedReply event for the asker's renderer.
    /// </summary>
    ValueTask ReadHistoryAsync(HistoryQuery query, string? label = null, CancellationToken ct = default);

    /// <summary>History for the public (the web API): public rooms, messages sent behind no gate.</summary>
    Task<HistoryAnswer> ReadPublicHistoryAsync(HistoryQuery query);

    /// <summary>The conversations whose latest message is in a time window (IRC CHATHISTORY TARGETS), as a ConversationsReply.</summary>
    ValueTask ReadConversationsAsync(Session s, DateTimeOffset from, DateTimeOffset until, int limit, string? label = null, CancellationToken ct = default);

    /// <summary>Sends a door-made event in order with the rest.</summary>
    ValueTask ReplyAsync(Session s, ChatEvent reply, CancellationToken ct = default, string? label = null);

    /// <summary>The connection ended; queued behind what it already sent.</summary>
    ValueTask DisconnectAsync(Session s, DisconnectReason reason);

    /// <summary>Closes a session from any thread without waiting (slow consumer, fault).</summary>
    void Disconnect(Session s, DisconnectReason reason);

    /// <summary>Tells the person why, then closes the connection gracefully.</summary>
    void CloseWithMessage(Session s, DisconnectReason reason, string text);

    /// <summary>As <see cref="CloseWithMessage"/>, queued behind the lines the connection already sent.</summary>
    ValueTask CloseAfterQueuedAsync(Session s, DisconnectReason reason, string text);

    Task<ChatServer.LoginResult> LoginAsync(Session s, string name, string password, bool takeName);
    Task<ChatServer.LoginResult> LoginWithTokenAsync(Session s, string token, bool takeName);
    Task LogoutAsync(Session s, string token);
    Task<string?> IssueTokenAsync(Session s);
    Task<ChatServer.LoginResult> RegisterAccountAsync(Session s, string password);

    /// <summary>True when the name belongs to an account. Any thread.</summary>
    bool IsRegisteredName(string name);

    /// <summary>True while only accounts may sign in. Any thread.</summary>
    bool InLockdown { get; }

    /// <summary>A room by name from any thread (its member list is an immutable snapshot).</summary>
    Room? FindRoom(string name);
}
