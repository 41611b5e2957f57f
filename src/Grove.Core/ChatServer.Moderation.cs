using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core;

// Command handlers for room operators and server operators, away, and door queries. Command loop only.
public sealed partial class ChatServer
{
    // KICK <#room> <name> [reason]
    private void Kick(Session s, string roomName, string targetName, string? reason)
    {
        if (!TryFindRoom(s, roomName, out var room)) return;
        if (!room.Contains(s) && !s.IsOperator)
        {
            Error(s, ErrorCode.NotInRoom, $"You are not in {room.Name}.", room.Name);
            return;
        }
        if (!room.IsOperator(s) && !s.IsOperator)
        {
            Error(s, ErrorCode.OperatorNeeded, $"Only operators of {room.Name} can kick.", room.Name);
            return;
        }
        if (!_byName.TryGetValue(NameRules.Fold(targetName), out var target))
        {
            Error(s, ErrorCode.NoSuchName, $"No one called \"{targetName}\" is online.", targetName);
            return;
        }
        if (!room.Contains(target))
        {
            Error(s, ErrorCode.TargetNotInRoom, $"{target.Name} is not in {room.Name}.", target.Name + " " + room.Name);
            return;
        }
        if (ProtectedFrom(s, room, target) is { } shielded)
        {
            Error(s, ErrorCode.Protected, shielded, room.Name);
            return;
        }
        var why = TextLimits.CleanReason(reason, s.Name!);
        SendRoom(room, new KickEvent(room.Name, s.Name!, target.Name!, why) { By = s.Origin }, except: null);
        room.RemoveMember(target);
        target.Rooms.Remove(room);
        if (ReferenceEquals(target.CurrentRoom, room)) target.CurrentRoom = target.SingleRoom || target.Rooms.Count == 0 ? null : target.Rooms[^1];
        FollowLeave(target, room);
        EndIfEmpty(room);
        Audit(s, "kick", room, target.Name, why);
    }

    // INVITE <name> <#room>
    private void Invite(Session s, string targetName, string roomName)
    {
        if (!_byName.TryGetValue(NameRules.Fold(targetName), out var target))
        {
            Error(s, ErrorCode.NoSuchName, $"No one called \"{targetName}\" is online.", targetName);
            return;
        }
        var problem = NameRules.ValidateRoomName(roomName);
        if (problem is not null)
        {
            Error(s, ErrorCode.BadRoomName, problem, roomName);
            return;
        }
        if (_rooms.TryGetValue(NameRules.Fold(roomName), out var room))
        {
            if (!room.Contains(s))
            {
                Error(s, ErrorCode.NotInRoom, $"You are not in {room.Name}.", room.Name);
                return;
            }
            if ((room.Modes & RoomModes.InviteOnly) != 0 && !room.IsOperator(s) && !s.IsOperator)
            {
                Error(s, ErrorCode.OperatorNeeded, $"Only operators of {room.Name} can invite to it.", room.Name);
                return;
            }
            if (room.Contains(target))
            {
                Error(s, ErrorCode.TargetAlreadyInRoom, $"{target.Name} is already in {room.Name}.", target.Name + " " + room.Name);
                return;
            }
            room.Invited.Add(NameRules.Fold(target.Name!));
            roomName = room.Name;
            var notify = new InviteNotifyEvent(room.Name, s.Name!, target.Name!) { By = s.Origin };
            foreach (var m in room.Members)
                if (!ReferenceEquals(m, s) && !ReferenceEquals(m, target)) Send(m, notify);
        }
        Send(target, new InviteEvent(roomName, s.Name!, target.Name!) { By = s.Origin });
        Send(s, new InvitingReply(roomName, target.Name!));
    }

    // MODE <#room> <changes> [args…]: t n m i s k l o v b, each + or -.
    private void Mode(Session s, string roomName, string changes, IReadOnlyList<string> args)
    {
        if (!TryFindRoom(s, roomName, out var room)) return;
        if (!room.IsOperator(s) && !s.IsOperator)
        {
            Error(s, ErrorCode.OperatorNeeded, $"Only operators of {room.Name} can change its modes.", room.Name);
            return;
        }
        var applied = new System.Text.StringBuilder();
        var appliedArgs = new List<string>();
        var gatesBefore = (room.Gates, room.Password);
        var adding = true;
        var sign = '\0';
        var next = 0;
        string? Arg() => next < args.Count ? args[next++] : null;
        void Applied(char c, string? arg = null)
        {
            var want = adding ? '+' : '-';
            if (sign != want) { applied.Append(want); sign = want; }
            applied.Append(c);
            if (arg is not null) appliedArgs.Add(arg);
        }
        foreach (var c in changes)
        {
            switch (c)
            {
                case '+': adding = true; break;
                case '-': adding = false; break;
                case 't': if (Flag(room, RoomModes.TopicLock, adding)) Applied(c); break;
                case 'n': if (Flag(room, RoomModes.NoExternal, adding)) Applied(c); break;
                case 'm': if (Flag(room, RoomModes.Moderated, adding)) Applied(c); break;
                case 'i': if (Flag(room, RoomModes.InviteOnly, adding)) Applied(c); break;
                case 's': if (Flag(room, RoomModes.Secret, adding)) Applied(c); break;
                case 'k':
                    {
                        var key = Arg();
                        if (adding)
                        {
                            if (key is null) { Error(s, ErrorCode.NeedMoreParams, "+k needs a key.", room.Name); break; }
                            if (key.Length == 0 || key.Contains(' ') || key.Contains(',')) { Error(s, ErrorCode.InvalidModeParam, "+k needs a key without spaces or commas.", $"{room.Name} k *"); break; }
                            room.Password = key;
                            Applied(c, key);
                        }
                        else if (room.Password is not null)
                        {
                            room.Password = null;
                            Applied(c, "*");
                        }
                        break;
                    }
                case 'l':
                    if (adding)
                    {
                        var given = Arg();
                        if (given is null) { Error(s, ErrorCode.NeedMoreParams, "+l needs a number.", room.Name); break; }
                        if (!int.TryParse(given, out var limit) || limit < 1) { Error(s, ErrorCode.InvalidModeParam, "+l needs a positive number.", $"{room.Name} l {(given.Length == 0 || given.Contains(' ') ? "*" : given)}"); break; }
                        room.Limit = limit;
                        Applied(c, limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else if (room.Limit > 0)
                    {
                        room.Limit = 0;
                        Applied(c);
                    }
                    break;
                case 'o':
                case 'v':
                    {
                        var who = Arg();
                        if (who is null) { Error(s, ErrorCode.NeedMoreParams, $"{(adding ? '+' : '-')}{c} needs a name.", room.Name); break; }
                        if (!_byName.TryGetValue(NameRules.Fold(who), out var target))
                        {
                            Error(s, ErrorCode.NoSuchName, $"No one called \"{who}\" is online.", who);
                            break;
                        }
                        if (!room.Contains(target))
                        {
                            Error(s, ErrorCode.TargetNotInRoom, $"{target.Name} is not in {room.Name}.", target.Name + " " + room.Name);
                            break;
                        }
                        if (!adding && c == 'o' && ProtectedFrom(s, room, target) is { } shielded)
                        {
                            Error(s, ErrorCode.Protected, shielded, room.Name);
                            break;
                        }
                        var bit = c == 'o' ? MemberStatus.Operator : MemberStatus.Voice;
                        var status = room.StatusOf(target);
                        var updated = adding ? status | bit : status & ~bit;
                        if (updated != status)
                        {
                            foreach (var t in GroupOf(target)) if (room.Contains(t)) room.SetStatus(t, updated);
                            Applied(c, target.Name);
                        }
                        // In a registered room the standing of someone logged in lasts: it is kept by account.
                        if (room.Owner is not null && target.AccountKey is { } account && account != room.Owner)
                        {
                            var access = c == 'o' ? room.AccessOperators : room.AccessVoices;
                            if (adding) access.Add(account); else access.Remove(account);
                        }
                        break;
                    }
                case 'b':
                case 'q':
                    {
                        var mask = Arg();
                        if (mask is null) break; // listing bans and mutes is the door's query
                        mask = Mask.Normalize(mask);
                        var list = c == 'b' ? room.Bans : room.Mutes;
                        var existing = list.FindIndex(b => NameRules.Fold(b.Mask) == NameRules.Fold(mask));
                        if (adding && existing < 0)
                        {
                            if (ProtectedFromMask(s, room, mask) is { } shielded) { Error(s, ErrorCode.Protected, shielded, room.Name); break; }
                            if (list.Count >= MaxBansPerRoom) { Error(s, ErrorCode.BadArgument, $"{room.Name} has the most {(c == 'b' ? "bans" : "mutes")} it can hold ({MaxBansPerRoom}).", room.Name); break; }
                            list.Add(new BanEntry(mask, s.Name!, _time.GetUtcNow()));
                            Applied(c, mask);
                        }
                        else if (!adding && existing >= 0)
                        {
                            list.RemoveAt(existing);
                            Applied(c, mask);
                        }
                        break;
                    }
                default:
                    Error(s, ErrorCode.UnknownMode, $"'{c}' is not a room mode Grove knows.", c.ToString());
                    break;
            }
        }
        // New gates (or a new key) are other gates: who passes them later gets nothing sent behind the old ones.
        if ((room.Gates, room.Password) != gatesBefore) room.GatesSince = _lastId;
        if (applied.Length > 0)
        {
            SendRoom(room, new ModeEvent(room.Name, s.Name!, applied.ToString(), appliedArgs) { By = s.Origin }, except: null);
            Audit(s, "mode", room, null, string.Join(' ', [applied.ToString(), .. appliedArgs]));
            SaveRoomSettings(room);
        }
    }

    /// <summary>The most ban masks one room keeps (advertised to IRC clients as MAXLIST b).</summary>
    public const int MaxBansPerRoom = 100;

    private static bool Flag(Room room, RoomModes flag, bool on)
    {
        var had = (room.Modes & flag) != 0;
        if (had == on) return false;
        room.Modes = on ? room.Modes | flag : room.Modes & ~flag;
        return true;
    }

    // AWAY [message]
    private void Away(Session s, string? message)
    {
        var was = s.AwayMessage;
        s.AwayMessage = string.IsNullOrWhiteSpace(message) ? null : TextLimits.CleanReason(message, "away");
        Send(s, new AwayReply(s.AwayMessage is not null));
        if (was != s.AwayMessage)
        {
            var ev = new AwayEvent(s.Name!, s.AwayMessage) { By = s.Origin };
            foreach (var p in PeopleSharingARoom(s)) Send(p, ev);
        }
    }

    // KILL <name> [reason]: a server operator disconnects someone.
    private void Kill(Session s, string targetName, string? reason)
    {
        if (!s.IsOperator)
        {
            Error(s, ErrorCode.NotPrivileged, "Only server operators can do that.");
            return;
        }
        if (!_byName.TryGetValue(NameRules.Fold(targetName), out var target))
        {
            Error(s, ErrorCode.NoSuchName, $"No one called \"{targetName}\" is online.", targetName);
            return;
        }
        var why = TextLimits.CleanReason(reason, "no reason given");
        Audit(s, "kill", null, target.Name, why);
        // Every connection of the person goes.
        foreach (var c in GroupOf(target).ToList())
        {
            Send(c, new GoodbyeReply($"You were disconnected by {s.Name} ({why})."));
            Leave(c, $"Killed by {s.Name} ({why})");
            CloseAfterDelivery(c, DisconnectReason.Killed);
        }
    }

    // WALLOPS <text>
    private void Wallops(Session s, string text)
    {
        if (!s.IsOperator)
        {
            Error(s, ErrorCode.NotPrivileged, "Only server operators can do that.");
            return;
        }
        var ev = new WallopsEvent(s.Name!, TextLimits.RemoveLineBreaks(text)) { By = s.Origin };
        foreach (var p in _byName.Values)
            if (p.WantsWallops || p.IsOperator) Send(p, ev);
    }

    // ---- Queries: door code that reads chat state in order with everything else --------------------------

    /// <summary>
    /// Runs <paramref name="query"/> on the command loop, after everything this connection sent before, and sends
    /// the event it returns (if any) to the session. The query may read rooms, members and people
    /// (<see cref="FindPerson"/>, <see cref="People"/>, <see cref="RoomsOf"/>, <see cref="WhoWas"/>) but must not change them.
    /// </summary>
    public ValueTask QueryAsync(Session s, Func<ChatEvent?> query, CancellationToken ct = default, string? label = null) =>
        _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Query, default, null, null, query) { Label = label }, ct);

    /// <summary>A named person. Command loop (queries) only.</summary>
    public Session? FindPerson(string name) { AssertOnLoop(); return _byName.GetValueOrDefault(NameRules.Fold(name)); }

    /// <summary>Everyone with a name. Command loop (queries) only.</summary>
    public IEnumerable<Session> People { get { AssertOnLoop(); return _byName.Values; } }

    /// <summary>The rooms a person is in. Command loop (queries) only.</summary>
    public IReadOnlyList<Room> RoomsOf(Session s) { AssertOnLoop(); return s.Rooms; }

    /// <summary>A room by name. Command loop (queries) only.</summary>
    public Room? RoomNamed(string name) { AssertOnLoop(); return _rooms.GetValueOrDefault(NameRules.Fold(name)); }

    /// <summary>The rooms. Command loop (queries) only.</summary>
    public IEnumerable<Room> AllRooms { get { AssertOnLoop(); return _rooms.Values; } }

    public sealed record WhoWasEntry(string Name, string User, string Host, string RealName, DateTimeOffset Left);

    private readonly LinkedList<WhoWasEntry> _whoWas = new();
    private const int WhoWasKept = 500;

    private void RememberWhoWas(Session s)
    {
        _whoWas.AddFirst(new WhoWasEntry(s.Name!, s.UserName ?? s.Name!, s.Host, s.RealName, _time.GetUtcNow()));
        if (_whoWas.Count > WhoWasKept) _whoWas.RemoveLast();
    }

    /// <summary>The names a person watches (MONITOR), folded. Command loop (queries) only.</summary>
    public IEnumerable<string> Watching(Session s) { AssertOnLoop(); return s.WatchesAnyone ? s.Watching : []; }

    /// <summary>People who had this name, newest first. Command loop (queries) only.</summary>
    public IEnumerable<WhoWasEntry> WhoWas(string name)
    {
        AssertOnLoop();
        var key = NameRules.Fold(name);
        return _whoWas.Where(w => NameRules.Fold(w.Name) == key);
    }
}

// IRCv3 extensions that every door may use: TAGMSG, SETNAME, MONITOR. Command loop only.
public sealed partial class ChatServer
{
    /// <summary>The most names one person may watch (MONITOR); advertised to IRC clients.</summary>
    public const int MaxWatched = 100;

    private readonly Dictionary<string, HashSet<Session>> _watchers = new(StringComparer.Ordinal);

    // TAGMSG <target>: tags only, to a room's members or a person; the sender gets an echo.
    private void TagMsg(Session s, string target, string? tags)
    {
        if (string.IsNullOrEmpty(tags)) return;
        if (NameRules.LooksLikeRoom(target))
        {
            if (!TryFindRoom(s, target, out var room)) return;
            if (!room.Contains(s) && (room.Modes & RoomModes.NoExternal) != 0 || !room.CanSpeak(s))
            {
                Error(s, ErrorCode.CannotSendToRoom, $"You cannot send to {room.Name}.", room.Name);
                return;
            }
            var ev = new TagMsgEvent(room.Name, tags) { By = s.Origin };
            SendRoom(room, ev, except: s);
            Send(s, new EchoReply(ev));
            return;
        }
        if (!_byName.TryGetValue(NameRules.Fold(target), out var to))
        {
            Error(s, ErrorCode.NoSuchName, $"No one called \"{target}\" is online.", target);
            return;
        }
        var pm = new TagMsgEvent(to.Name!, tags) { By = s.Origin };
        Send(to, pm);
        Send(s, new EchoReply(pm));
    }

    // SETNAME <real name>
    private void SetName(Session s, string realName)
    {
        s.RealName = TextLimits.CleanReason(realName, s.Name!);
        var ev = new SetNameEvent(s.Name!, s.RealName) { By = s.Origin };
        foreach (var p in PeopleSharingARoom(s)) Send(p, ev);
        Send(s, ev);
    }

    // MONITOR + names | - names | C
    private void Monitor(Session s, string op, IReadOnlyList<string> names)
    {
        switch (op)
        {
            case "+":
                var online = new List<Origin>();
                var offline = new List<string>();
                var refused = new List<string>();
                foreach (var name in names)
                {
                    if (NameRules.ValidateName(name) is not null) continue;
                    var key = NameRules.Fold(name);
                    if (!s.Watching.Contains(key))
                    {
                        if (s.Watching.Count >= MaxWatched) { refused.Add(name); continue; }
                        s.Watching.Add(key);
                        if (!_watchers.TryGetValue(key, out var set)) _watchers[key] = set = new HashSet<Session>();
                        set.Add(s);
                    }
                    if (_byName.TryGetValue(key, out var p)) online.Add(p.Origin);
                    else offline.Add(name);
                }
                if (online.Count + offline.Count > 0) Send(s, new MonitorStatusReply(online, offline));
                if (refused.Count > 0) Send(s, new MonitorFullReply(MaxWatched, refused));
                break;
            case "-":
                foreach (var name in names) Unwatch(s, NameRules.Fold(name));
                break;
            case "C":
                if (s.WatchesAnyone) foreach (var key in s.Watching.ToList()) Unwatch(s, key);
                break;
        }
    }

    private void Unwatch(Session s, string key)
    {
        if (!s.Watching.Remove(key)) return;
        if (_watchers.TryGetValue(key, out var set) && set.Remove(s) && set.Count == 0) _watchers.Remove(key);
    }

    /// <summary>Tells everyone watching this name that it came online or went offline.</summary>
    private void Presence(Session who, string name, bool online)
    {
        if (_watchers.Count == 0 || !_watchers.TryGetValue(NameRules.Fold(name), out var set)) return;
        var by = who.Origin with { Name = name };
        foreach (var w in set) if (!ReferenceEquals(w, who)) Send(w, new PresenceEvent(name, online) { By = by });
    }

    private void ForgetWatches(Session s)
    {
        if (!s.WatchesAnyone) return;
        foreach (var key in s.Watching.ToList()) Unwatch(s, key);
    }
}
