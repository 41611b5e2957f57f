using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core.Handlers;

// IRCv3 extensions that every door may use: TAGMSG, SETNAME, MONITOR. Command loop only.
internal sealed partial class ChatHandlers
{
    // TAGMSG <target>: tags only, to a room's members or a person; the sender gets an echo.
    internal void TagMsg(Session s, string target, string? tags)
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
        if (!_state.ByName.TryGetValue(NameRules.Fold(target), out var to))
        {
            Error(s, ErrorCode.NoSuchName, $"No one called \"{target}\" is online.", target);
            return;
        }
        var pm = new TagMsgEvent(to.Name!, tags) { By = s.Origin };
        Send(to, pm);
        Send(s, new EchoReply(pm));
    }

    // SETNAME <real name>
    internal void SetName(Session s, string realName)
    {
        s.RealName = TextLimits.CleanReason(realName, s.Name!);
        var ev = new SetNameEvent(s.Name!, s.RealName) { By = s.Origin };
        foreach (var p in PeopleSharingARoom(s)) Send(p, ev);
        Send(s, ev);
    }

    // MONITOR + names | - names | C
    internal void Monitor(Session s, string op, IReadOnlyList<string> names)
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
                        if (s.Watching.Count >= ChatServer.MaxWatched) { refused.Add(name); continue; }
                        s.Watching.Add(key);
                        if (!_state.Watchers.TryGetValue(key, out var set)) _state.Watchers[key] = set = new HashSet<Session>();
                        set.Add(s);
                    }
                    if (_state.ByName.TryGetValue(key, out var p)) online.Add(p.Origin);
                    else offline.Add(name);
                }
                if (online.Count + offline.Count > 0) Send(s, new MonitorStatusReply(online, offline));
                if (refused.Count > 0) Send(s, new MonitorFullReply(ChatServer.MaxWatched, refused));
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
        if (_state.Watchers.TryGetValue(key, out var set) && set.Remove(s) && set.Count == 0) _state.Watchers.Remove(key);
    }

    /// <summary>Tells everyone watching this name that it came online or went offline.</summary>
    private void Presence(Session who, string name, bool online)
    {
        if (_state.Watchers.Count == 0 || !_state.Watchers.TryGetValue(NameRules.Fold(name), out var set)) return;
        var by = who.Origin with { Name = name };
        foreach (var w in set) if (!ReferenceEquals(w, who)) Send(w, new PresenceEvent(name, online) { By = by });
    }

    private void ForgetWatches(Session s)
    {
        if (!s.WatchesAnyone) return;
        foreach (var key in s.Watching.ToList()) Unwatch(s, key);
    }
}
