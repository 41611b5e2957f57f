using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

using Grove.Core.Pipeline;
using Grove.Core.State;

namespace Grove.Core.Handlers;

// Command handlers for room operators and server operators, away, and door queries. Command loop only.
internal sealed partial class ChatHandlers
{
    // Without a room, the plain door's commands are about the person's current room.
    internal void Kick(Session s, ChatCommand c) => Kick(s, c.Target ?? s.CurrentRoom?.Name ?? "", c.Args is { Count: > 0 } a ? a[0] : "", c.Text);
    internal void Invite(Session s, ChatCommand c) => Invite(s, c.Target ?? "", c.Args is { Count: > 0 } a ? a[0] : s.CurrentRoom?.Name ?? "");
    internal void Mode(Session s, ChatCommand c) => Mode(s, c.Target ?? s.CurrentRoom?.Name ?? "", c.Text ?? "", c.Args ?? []);

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
        if (!_state.ByName.TryGetValue(NameRules.Fold(targetName), out var target))
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
        if (!_state.ByName.TryGetValue(NameRules.Fold(targetName), out var target))
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
        if (_state.Rooms.TryGetValue(NameRules.Fold(roomName), out var room))
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
                        if (!_state.ByName.TryGetValue(NameRules.Fold(who), out var target))
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
                            if (list.Count >= ChatServer.MaxBansPerRoom) { Error(s, ErrorCode.BadArgument, $"{room.Name} has the most {(c == 'b' ? "bans" : "mutes")} it can hold ({ChatServer.MaxBansPerRoom}).", room.Name); break; }
                            list.Add(new BanEntry(mask, s.Name!, Now));
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
        if ((room.Gates, room.Password) != gatesBefore) room.GatesSince = _state.LastId;
        if (applied.Length > 0)
        {
            SendRoom(room, new ModeEvent(room.Name, s.Name!, applied.ToString(), appliedArgs) { By = s.Origin }, except: null);
            Audit(s, "mode", room, null, string.Join(' ', [applied.ToString(), .. appliedArgs]));
            SaveRoomSettings(room);
        }
    }

    /// <summary>The most ban masks one room keeps (advertised to IRC clients as MAXLIST b).</summary>

    private static bool Flag(Room room, RoomModes flag, bool on)
    {
        var had = (room.Modes & flag) != 0;
        if (had == on) return false;
        room.Modes = on ? room.Modes | flag : room.Modes & ~flag;
        return true;
    }

    // AWAY [message]
    internal void Away(Session s, string? message)
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
    internal void Kill(Session s, string targetName, string? reason)
    {
        if (!_state.ByName.TryGetValue(NameRules.Fold(targetName), out var target))
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
    internal void Wallops(Session s, string text)
    {
        var ev = new WallopsEvent(s.Name!, TextLimits.RemoveLineBreaks(text)) { By = s.Origin };
        foreach (var p in _state.ByName.Values)
            if (p.WantsWallops || p.IsOperator) Send(p, ev);
    }

    private const int WhoWasKept = 500;

    private void RememberWhoWas(Session s)
    {
        _state.WhoWas.AddFirst(new WhoWasEntry(s.Name!, s.UserName ?? s.Name!, s.Host, s.RealName, Now));
        if (_state.WhoWas.Count > WhoWasKept) _state.WhoWas.RemoveLast();
    }
}
