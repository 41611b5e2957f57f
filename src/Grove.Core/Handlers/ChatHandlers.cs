using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.Fun;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Pipeline;
using Grove.Core.Rooms;
using Grove.Core.State;
using Microsoft.Extensions.Logging;

namespace Grove.Core.Handlers;

/// <summary>
/// The chat's rules: each handler takes a command and the <see cref="ChatState"/> and writes what it caused (events,
/// messages and changes to store, closes) to the <see cref="EffectSink"/>. Handlers read the time only from the
/// command's <see cref="CommandStamp"/>, never from a clock, so the same stamped commands applied to the same state
/// give the same state and the same effects. Command loop only; families in the files beside this one.
/// </summary>
internal sealed partial class ChatHandlers(ChatState state, EffectSink sink, ChatOptions options, ChatMetrics metrics, ILogger logger)
{
    private readonly ChatState _state = state;
    private readonly EffectSink _sink = sink;
    private readonly ChatOptions _options = options;
    private readonly ILogger _realLogger = logger;

    // Another node's connection is logged by its own node: here its handling says nothing.
    private ILogger _logger => ForRemote ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance : _realLogger;

    /// <summary>Set by the command loop while it applies an item of another node's connection.</summary>
    internal bool ForRemote { get; set; }
    private ChatMetrics Metrics { get; } = metrics;

    /// <summary>The stamp of the command being handled (set by the command loop as it takes each one in).</summary>
    public CommandStamp Stamp { get => _sink.Stamp; set => _sink.Stamp = value; }

    private DateTimeOffset Now => _sink.Stamp.Time;

    /// <summary>Runs one command; errors go to its sender as replies.</summary>
    public void Execute(Session s, ChatCommand c)
    {
        _executing = c.Kind;
        try { ExecuteCommand(s, c); }
        finally { _executing = null; }
    }

    // The command being executed, which an error names (IRC 461 says which command lacked a parameter).
    private CommandKind? _executing;

    // The registry's shared checks, then the entry's handler.
    private void ExecuteCommand(Session s, ChatCommand c)
    {
        var entry = CommandTable.Get(c.Kind);
        if (s.State != SessionState.Registered && entry.Access != Access.BeforeName)
        {
            Error(s, ErrorCode.NotRegistered, "Choose a name first.");
            return;
        }
        if (entry.Access == Access.ServerOperator && !s.IsOperator)
        {
            Error(s, ErrorCode.NotPrivileged, "Only server operators can do that.");
            return;
        }
        entry.Run!(this, s, c);
    }

    // The small handlers the registry names that have no family of their own.

    // BAMBOO: the fact is picked by the command's stamp, so a replay picks the same one.
    internal void Bamboo(Session s) => Send(s, new BambooReply(PandaFacts.Pick(Stamp.Monotonic.Ticks)));

    // OPER: the door has checked the credentials.
    internal void Oper(Session s)
    {
        s.IsOperator = true;
        Send(s, new OperReply());
    }

    // LOGIN / REGISTER reach the loop only from a door that did not run them through LoginAsync/RegisterAccountAsync.
    internal void NotOnTheLoop(Session s) => Error(s, ErrorCode.BadArgument, "This door cannot log in that way.");

    internal void Send(Session to, ChatEvent ev) => _sink.Send(to, ev);
    private void SendRoom(Room room, ChatEvent ev, Session? except) => _sink.SendMany(room.Members, ev, except);
    private void SendMany(Session[] to, ChatEvent ev) => _sink.SendMany(to, ev, null);
    // A reply is rendered for its one recipient: sending one to many does not compile.
    [Obsolete("A ReplyEvent goes to one person: Send it to each.", error: true)]
    private void SendRoom(Room room, ReplyEvent ev, Session? except) => throw new InvalidOperationException();
    [Obsolete("A ReplyEvent goes to one person: Send it to each.", error: true)]
    private void SendMany(Session[] to, ReplyEvent ev) => throw new InvalidOperationException();
    internal void CloseAfterDelivery(Session s, DisconnectReason reason) => _sink.Close(s, reason);
    private void Error(Session to, ErrorCode code, string text, string? subject = null)
    {
        if (!_quietErrors) Send(to, new ErrorReply(code, text, subject) { Command = _executing });
    }

    private bool _quietErrors; // set while a NOTICE runs, which never gets an error back

    // A session is counted as registered once, however often it changes name or logs in.
    private void MarkRegistered(Session s)
    {
        s.State = SessionState.Registered;
        if (s.CountedRegistered || s.IsRemote) return; // another node's connection is counted there
        s.CountedRegistered = true;
        Metrics.Registered(s.Door);
    }

    /// <summary>Loads rooms and their recent messages from the store at start.</summary>
    internal void LoadRooms(IMessageStore store) => LoadRooms(store.LoadRooms(), store, long.MaxValue);

    /// <summary>Loads these rooms, each with its recent messages older than <paramref name="beforeId"/>.</summary>
    internal void LoadRooms(IReadOnlyList<StoredRoom> rooms, IMessageStore store, long beforeId)
    {
        foreach (var r in rooms)
        {
            var room = AddRoom(r.Name);
            room.Topic = r.Topic;
            room.TopicSetBy = r.TopicSetBy;
            room.TopicSetAt = r.TopicSetAt;
            foreach (var m in store.RoomHistory(room.Key, beforeId, room.Recent.Capacity, Admission.Everything))
                room.Recent.Add(ToEvent(m, room.Name));
        }
    }

    /// <summary>After loading: a registered room keeps its gates over a restart (see <see cref="Room.GatesSince"/>).</summary>
    internal void ResumeGates()
    {
        // Its gated history goes on where its newest message was sent behind the same gates; otherwise the gates it
        // has now count from here.
        foreach (var room in _state.Rooms.Values)
            if (room.Gates != RoomGates.None)
                room.GatesSince = room.Recent.Latest(1, Admission.Everything) is [{ } last] && last.Gates == room.Gates ? last.GatesSince : _state.LastId;
    }

    private static partial class Log
    {
        [LoggerMessage(7, LogLevel.Information, "Connection {Id} from {Remote} on the {Door} door is now {Name}")]
        public static partial void Registered(ILogger logger, long id, string remote, string door, string name);

        [LoggerMessage(8, LogLevel.Debug, "{Name} in {Room}: {Text}")]
        public static partial void RoomMessage(ILogger logger, string name, string room, string text);

        [LoggerMessage(9, LogLevel.Debug, "{Name} to {To} (private): {Text}")]
        public static partial void PrivateMessage(ILogger logger, string name, string to, string text);

        [LoggerMessage(10, LogLevel.Information, "{Old} is now known as {New}")]
        public static partial void NickChanged(ILogger logger, string old, string @new);

        [LoggerMessage(11, LogLevel.Information, "Room {Room} created by {Name}")]
        public static partial void RoomCreated(ILogger logger, string room, string name);

        [LoggerMessage(12, LogLevel.Information, "Connection {Id} from {Remote} logged in as {Account}")]
        public static partial void LoggedIn(ILogger logger, long id, string remote, string account);

        [LoggerMessage(13, LogLevel.Warning, "Failed login for {Account} from {Remote}")]
        public static partial void LoginFailed(ILogger logger, string account, string remote);

        [LoggerMessage(14, LogLevel.Information, "Connection {Id} from {Remote} registered the account {Account}")]
        public static partial void AccountRegistered(ILogger logger, long id, string remote, string account);
    }
}
