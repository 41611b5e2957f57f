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
    private readonly ILogger _logger = logger;
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

    private void ExecuteCommand(Session s, ChatCommand c)
    {
        if (s.State != SessionState.Registered && c.Kind is not (CommandKind.Register or CommandKind.Quit or CommandKind.Help or CommandKind.Bamboo))
        {
            Error(s, ErrorCode.NotRegistered, "Choose a name first.");
            return;
        }
        switch (c.Kind)
        {
            case CommandKind.Register: Register(s, c.Target ?? ""); break;
            case CommandKind.Say: Say(s, c.Target, c.Text ?? "", MessageKind.Normal, c); break;
            case CommandKind.Me:
                if (c.Target is { } meTarget && !NameRules.LooksLikeRoom(meTarget)) PrivateMessage(s, meTarget, c.Text ?? "", MessageKind.Action);
                else Say(s, c.Target, c.Text ?? "", MessageKind.Action, c);
                break;
            case CommandKind.Msg: PrivateMessage(s, c.Target ?? "", c.Text ?? "", MessageKind.Normal, c); break;
            case CommandKind.Who: Who(s, c.Target); break;
            case CommandKind.Whois: Whois(s, c.Target ?? ""); break;
            case CommandKind.Quit: Quit(s, c.Text); break;
            case CommandKind.Bamboo: Send(s, new BambooReply(PandaFacts.Pick(Stamp.Monotonic.Ticks))); break;
            case CommandKind.Help: Send(s, HelpReply.Instance); break;
            case CommandKind.Nick: ChangeName(s, c.Target ?? ""); break;
            case CommandKind.Join: Join(s, c.Target ?? "", c.Args is { Count: > 0 } ja ? ja[0] : null); break;
            case CommandKind.Part: Part(s, c.Target, c.Text); break;
            case CommandKind.Rooms: ListRooms(s); break;
            case CommandKind.Topic: Topic(s, c.Target, c.Text); break;
            case CommandKind.History: History(s, c.Target, c.Count); break;
            case CommandKind.Notice:
                // RFC 2812 3.3.2: "automatic replies MUST NEVER be sent in response to a NOTICE message".
                _quietErrors = true;
                try { PrivateMessage(s, c.Target ?? "", c.Text ?? "", MessageKind.Notice, c); }
                finally { _quietErrors = false; }
                break;
            case CommandKind.TagMsg: TagMsg(s, c.Target ?? "", c.ClientTags); break;
            case CommandKind.SetName: SetName(s, c.Text ?? ""); break;
            case CommandKind.Monitor: Monitor(s, c.Text ?? "", c.Args ?? []); break;
            case CommandKind.UserModes: UserModes(s, c.Text ?? ""); break;
            case CommandKind.PartAll:
                foreach (var room in s.Rooms.ToList())
                {
                    LeaveRoom(s, room, TextLimits.CleanReason(c.Text, "left"));
                    Send(s, new PartedReply(room.Name));
                }
                break;
            // Without a room, the plain door's commands are about the person's current room.
            case CommandKind.Kick: Kick(s, c.Target ?? s.CurrentRoom?.Name ?? "", c.Args is { Count: > 0 } ka ? ka[0] : "", c.Text); break;
            case CommandKind.Invite: Invite(s, c.Target ?? "", c.Args is { Count: > 0 } ia ? ia[0] : s.CurrentRoom?.Name ?? ""); break;
            case CommandKind.Mode: Mode(s, c.Target ?? s.CurrentRoom?.Name ?? "", c.Text ?? "", c.Args ?? []); break;
            case CommandKind.Away: Away(s, c.Text); break;
            case CommandKind.Oper: s.IsOperator = true; Send(s, new OperReply()); break;
            case CommandKind.Kill: Kill(s, c.Target ?? "", c.Text); break;
            case CommandKind.Wallops: Wallops(s, c.Text ?? ""); break;
            case CommandKind.RoomRegister: RoomRegister(s, c.Target); break;
            case CommandKind.Ban or CommandKind.Unban or CommandKind.Mute or CommandKind.Unmute
                or CommandKind.Op or CommandKind.Deop or CommandKind.Voice or CommandKind.Devoice:
                ModerationCommand(s, c.Kind, c.Target, c.Args is { Count: > 0 } ma ? ma[0] : "");
                break;
            case CommandKind.Audit: AuditCommand(s, c.Target); break;
            case CommandKind.Lockdown: Lockdown(s, c.Text); break;
            case CommandKind.Login or CommandKind.RegisterAccount:
                // Doors run these through LoginAsync and RegisterAccountAsync (hashing stays off this loop).
                Error(s, ErrorCode.BadArgument, "This door cannot log in that way.");
                break;
        }
    }

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
        if (s.CountedRegistered) return;
        s.CountedRegistered = true;
        Metrics.Registered(s.Door);
    }

    /// <summary>Loads rooms and their recent messages from the store at start.</summary>
    internal void LoadRooms(IMessageStore store)
    {
        foreach (var r in store.LoadRooms())
        {
            var room = AddRoom(r.Name);
            room.Topic = r.Topic;
            room.TopicSetBy = r.TopicSetBy;
            room.TopicSetAt = r.TopicSetAt;
            foreach (var m in store.RoomHistory(room.Key, long.MaxValue, room.Recent.Capacity, Admission.Everything))
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
