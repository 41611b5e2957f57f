using System.Globalization;
using Grove.Core.Accounts;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

using Grove.Core.Pipeline;
using Grove.Core.State;

namespace Grove.Core.Handlers;

// Registered rooms (owner, lasting settings), the plain door's moderation commands, server bans, lockdown and the
// audit log. Command loop only; what must last goes to the store through the batch's changes.
internal sealed partial class ChatHandlers
{

    private Room? RoomFor(Session s, string? roomName)
    {
        if (roomName is null)
        {
            if (s.CurrentRoom is { } current) return current;
            Error(s, ErrorCode.NotInRoom, "You are not in a room; name one.");
            return null;
        }
        return TryFindRoom(s, roomName, out var room) ? room : null;
    }

    // ROOM REGISTER [#room]: the room outlives restarts with its modes, lists and operators; its owner is you.
    internal void RoomRegister(Session s, string? roomName)
    {
        if (RoomFor(s, roomName) is not { } room) return;
        if (s.AccountKey is not { } account)
        {
            Error(s, ErrorCode.NotLoggedIn, "Register your name first (/register PASSWORD), then register the room.");
            return;
        }
        if (room.Owner is { } owner)
        {
            Error(s, ErrorCode.BadArgument, owner == account ? $"{room.Name} is already yours." : $"{room.Name} is already registered to {AccountName(owner)}.", room.Name);
            return;
        }
        var isDefault = room.Key == NameRules.Fold(_options.DefaultRoom);
        if (isDefault ? !s.IsOperator : !room.IsOperator(s) && !s.IsOperator)
        {
            Error(s, ErrorCode.OperatorNeeded, $"Only an operator of {room.Name} can register it.", room.Name);
            return;
        }
        room.Owner = account;
        room.RegisteredAt = Now;
        room.AccessOperators.Add(account);
        SaveRoomSettings(room);
        Audit(s, "register-room", room, null, null);
        Send(s, new ServerNoticeEvent($"{room.Name} is registered to your account {s.Account}: its modes, bans, mutes and operators now outlive restarts."));
    }

    // BAN / UNBAN / MUTE / UNMUTE / OP / DEOP / VOICE / DEVOICE: the plain door's words for room modes b q o v.
    internal void ModerationCommand(Session s, CommandKind kind, string? roomName, string who)
    {
        if (who.Length == 0)
        {
            Error(s, ErrorCode.NeedMoreParams, "Name a person (or a mask).");
            return;
        }
        if (kind is CommandKind.Ban or CommandKind.Unban && roomName == "*")
        {
            ServerBan(s, who, kind == CommandKind.Ban);
            return;
        }
        if (RoomFor(s, roomName) is not { } room) return;
        switch (kind)
        {
            case CommandKind.Ban:
                var mask = MaskFor(who);
                Mode(s, room.Name, "+b", [mask]);
                // A ban also puts the person out of the room, wherever they connect from.
                if (room.Bans.Any(b => b.Mask == mask) && (room.IsOperator(s) || s.IsOperator))
                    foreach (var m in room.Members.ToList())
                        if (!ReferenceEquals(m, s) && room.Contains(m) && Mask.MatchesPerson(mask, m.Origin))
                            Kick(s, room.Name, m.Name!, "banned");
                break;
            case CommandKind.Unban: Mode(s, room.Name, "-b", [MaskFor(who)]); break;
            case CommandKind.Mute: Mode(s, room.Name, "+q", [MaskFor(who)]); break;
            case CommandKind.Unmute: Mode(s, room.Name, "-q", [MaskFor(who)]); break;
            case CommandKind.Op: Mode(s, room.Name, "+o", [who]); break;
            case CommandKind.Deop: Mode(s, room.Name, "-o", [who]); break;
            case CommandKind.Voice: Mode(s, room.Name, "+v", [who]); break;
            case CommandKind.Devoice: Mode(s, room.Name, "-v", [who]); break;
        }
    }

    /// <summary>
    /// The mask for a name: a mask stays as it is; the name of someone logged in, or of an account, becomes an account
    /// mask ("$a:name"), which holds whatever nick or door they use; any other name becomes "name!*@*".
    /// </summary>
    private string MaskFor(string who)
    {
        if (who.StartsWith(Mask.AccountPrefix, StringComparison.Ordinal) || who.IndexOfAny(['!', '@', '*', '?']) >= 0) return Mask.Normalize(who);
        var key = NameRules.Fold(who);
        if (_state.ByName.TryGetValue(key, out var online) && online.Account is { } account) return Mask.AccountPrefix + account;
        if (_state.Accounts.TryGetValue(key, out var stored)) return Mask.AccountPrefix + stored.Name;
        return Mask.Normalize(who);
    }

    // BAN * MASK: server-wide, for server operators; whoever matches is disconnected now and refused later.
    private void ServerBan(Session s, string who, bool adding)
    {
        if (!s.IsOperator)
        {
            Error(s, ErrorCode.NotPrivileged, "Only server operators can ban from the whole server.");
            return;
        }
        var mask = MaskFor(who);
        var existing = _state.ServerBans.FindIndex(b => NameRules.Fold(b) == NameRules.Fold(mask));
        if (adding == existing >= 0)
        {
            Send(s, new ServerNoticeEvent(adding ? $"{mask} is already banned from the server." : $"{mask} is not banned from the server."));
            return;
        }
        if (adding) _state.ServerBans.Add(mask);
        else _state.ServerBans.RemoveAt(existing);
        _sink.Batch.Changes.ServerBans = _state.ServerBans.ToList();
        Audit(s, adding ? "server-ban" : "server-unban", null, mask, null);
        Send(s, new ServerNoticeEvent(adding ? $"{mask} is banned from the server." : $"{mask} may use the server again."));
        if (!adding) return;
        foreach (var p in _state.ByName.Values.ToList())
            if (p.Name != s.Name && Mask.MatchesPerson(mask, p.Origin))
                Kill(s, p.Name!, "banned from this server");
    }

    private const string Beyond = "room operators cannot kick, ban, mute or deop them.";

    /// <summary>
    /// Why <paramref name="actor"/> may not kick, ban, mute or deop <paramref name="target"/> in the room, or null when
    /// they may: a registered room's owner answers only to themselves and server operators, a server operator only to
    /// server operators.
    /// </summary>
    private string? ProtectedFrom(Session actor, Room room, Session target)
    {
        if (actor.IsOperator || actor.Name == target.Name) return null;
        if (room.Owner is { } owner && target.AccountKey == owner && actor.AccountKey != owner) return $"{target.Name} owns {room.Name}: {Beyond}";
        if (GroupOf(target).Any(static c => c.IsOperator)) return $"{target.Name} is a server operator: {Beyond}";
        return null;
    }

    /// <summary>The same for a ban or mute mask: it may not match the owner or a server operator, here or not.</summary>
    private string? ProtectedFromMask(Session actor, Room room, string mask)
    {
        if (actor.IsOperator) return null;
        foreach (var m in room.Members)
            if (Mask.MatchesPerson(mask, m.Origin) && ProtectedFrom(actor, room, m) is { } why) return why;
        // Away from the room they are their account, under its name, on any door.
        if (room.Owner is { } owner && actor.AccountKey != owner && MatchesAccount(mask, AccountName(owner)))
            return $"{AccountName(owner)} owns {room.Name}: {Beyond}";
        foreach (var op in _options.OperatorAccounts)
            if (MatchesAccount(mask, op)) return $"{op} is a server operator: {Beyond}";
        return null;
    }

    private static readonly string[] DoorHosts = ["plain.grove", "irc.grove", "web.grove"];

    private static bool MatchesAccount(string mask, string name) =>
        DoorHosts.Any(host => Mask.MatchesPerson(mask, new Origin(name, name, host, name)));

    private bool ServerBanned(Origin who) => _state.ServerBans.Any(m => Mask.MatchesPerson(m, who));

    // LOCKDOWN on|off: while on, only accounts may sign in; guests already here stay.
    internal void Lockdown(Session s, string? onOff)
    {
        bool? on = onOff?.ToLowerInvariant() switch { "on" => true, "off" => false, null or "" => null, _ => null };
        if (on is null)
        {
            Send(s, new ServerNoticeEvent($"Lockdown is {(_state.Lockdown ? "on" : "off")}. Use /lockdown on or /lockdown off."));
            return;
        }
        _state.Lockdown = on.Value;
        Audit(s, on.Value ? "lockdown-on" : "lockdown-off", null, null, null);
        Send(s, new ServerNoticeEvent(on.Value ? "Lockdown is on: only registered accounts may sign in." : "Lockdown is off: guests may sign in again."));
    }

    // AUDIT [#room | *]: the newest entries of the audit log, for the room's owner and for server operators.
    internal void AuditCommand(Session s, string? target)
    {
        const int limit = 50;
        if (target == "*")
        {
            if (!s.IsOperator)
            {
                Error(s, ErrorCode.NotPrivileged, "Only server operators can read the whole audit log.");
                return;
            }
            AfterCommit(store => new AuditReply("the server", store.ReadAudit(null, limit).Select(AuditLine).ToList()), s);
            return;
        }
        if (RoomFor(s, target) is not { } room) return;
        if (!s.IsOperator && (room.Owner is null || room.Owner != s.AccountKey))
        {
            Error(s, ErrorCode.OperatorNeeded, $"Only the owner of {room.Name} and server operators can read its audit log.", room.Name);
            return;
        }
        var key = room.Key;
        var name = room.Name;
        AfterCommit(store => new AuditReply(name, store.ReadAudit(key, limit).Select(AuditLine).ToList()), s);
    }

    private static string AuditLine(AuditEntry e)
    {
        var time = e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var what = e.Target is null ? e.Action : $"{e.Action} {e.Target}";
        var detail = e.Detail is null ? "" : $" ({e.Detail})";
        return $"{time} UTC {e.Actor}: {what}{detail}";
    }

    private void Audit(Session actor, string action, Room? room, string? target, string? detail) =>
        AuditAs(actor.Account ?? actor.Name ?? "*", action, room, target, detail);

    private void AuditAs(string actor, string action, Room? room, string? target, string? detail) =>
        _sink.Batch.Changes.Audit.Add(new AuditEntry(Now, actor, action, room?.Key, target, detail));

    /// <summary>A registered room's settings go to the store with the batch that changed them.</summary>
    private void SaveRoomSettings(Room room)
    {
        if (room.Owner is null) return;
        _sink.Batch.Changes.RoomSettings.RemoveAll(r => r.Key == room.Key);
        _sink.Batch.Changes.RoomSettings.Add(new StoredRoomSettings(room.Key, room.Name, room.Owner, ModeLetters(room.Modes), room.Password, room.Limit,
            room.Bans.Select(b => b.Mask).ToList(), room.Mutes.Select(b => b.Mask).ToList(),
            room.AccessOperators.Order(StringComparer.Ordinal).ToList(), room.AccessVoices.Order(StringComparer.Ordinal).ToList(),
            room.RegisteredAt ?? Now));
    }

    private string AccountName(string key) => _state.Accounts.TryGetValue(key, out var a) ? a.Name : key;

    private static string ModeLetters(RoomModes modes)
    {
        var sb = new System.Text.StringBuilder();
        if ((modes & RoomModes.TopicLock) != 0) sb.Append('t');
        if ((modes & RoomModes.NoExternal) != 0) sb.Append('n');
        if ((modes & RoomModes.Moderated) != 0) sb.Append('m');
        if ((modes & RoomModes.InviteOnly) != 0) sb.Append('i');
        if ((modes & RoomModes.Secret) != 0) sb.Append('s');
        return sb.ToString();
    }

    private static RoomModes ParseModes(string letters)
    {
        var modes = RoomModes.None;
        foreach (var c in letters)
            modes |= c switch
            {
                't' => RoomModes.TopicLock, 'n' => RoomModes.NoExternal, 'm' => RoomModes.Moderated,
                'i' => RoomModes.InviteOnly, 's' => RoomModes.Secret, _ => RoomModes.None,
            };
        return modes;
    }
}
