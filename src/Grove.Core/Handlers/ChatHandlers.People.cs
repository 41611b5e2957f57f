using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.Fun;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

using Grove.Core.Pipeline;
using Grove.Core.State;

namespace Grove.Core.Handlers;

// Handlers about people: names, private messages, who, whois, quit. Command loop only.
internal sealed partial class ChatHandlers
{
    // WHOIS <name>: facts any door can show; rooms only those the asker shares with them.
    internal void Whois(Session s, string name)
    {
        if (!_state.ByName.TryGetValue(NameRules.Fold(name), out var p))
        {
            Error(s, ErrorCode.NoSuchName, $"No one called \"{name}\" is online. Type /who to see who is.", name);
            return;
        }
        var shared = p.Rooms.Where(r => r.Contains(s)).Select(r => r.Name).ToList();
        var idle = TimeSpan.FromMilliseconds(Math.Max(0, Stamp.InputTicks - p.LastInputTicks));
        Send(s, new WhoisReply(p.Name!, p.Account, p.AwayMessage, shared, idle, p.ConnectedAt));
    }

    // MODE <me> [+|-][i|w|B]…: the person's own modes; +o comes only from OPER, and -o is not offered.
    internal void UserModes(Session s, string changes)
    {
        var applied = new System.Text.StringBuilder();
        var adding = true;
        var sign = ' ';
        var unknown = false;
        foreach (var c in changes)
        {
            switch (c)
            {
                case '+': adding = true; continue;
                case '-': adding = false; continue;
                case 'i': if (s.Invisible == adding) continue; s.Invisible = adding; break;
                case 'w': if (s.WantsWallops == adding) continue; s.WantsWallops = adding; break;
                case 'B': if (s.IsBot == adding) continue; s.IsBot = adding; break;
                case 'o': continue;
                default: unknown = true; continue;
            }
            var want = adding ? '+' : '-';
            if (sign != want) { applied.Append(want); sign = want; }
            applied.Append(c);
        }
        Send(s, new UserModesReply(applied.ToString(), unknown));
    }

    // REGISTER <name>: the first name a connection takes; it then lands in the default room.
    internal void Register(Session s, string name)
    {
        if (s.State == SessionState.Registered)
        {
            Error(s, ErrorCode.AlreadyRegistered, "You already have a name; use /nick to change it.");
            return;
        }
        name = name.Trim();
        var key = NameRules.Fold(name);
        if (s.AccountKey is { } account && _state.ByName.TryGetValue(key, out var holder) && holder.AccountKey == account && !ReferenceEquals(holder, s))
        {
            JoinGroup(s, holder);
            return;
        }
        if (!CheckNameFree(s, name, choosing: true)) return;
        if (_state.Lockdown && s.Account is null)
        {
            Error(s, ErrorCode.Lockdown, "The server is in lockdown: only registered accounts may sign in right now. Log in with /login NAME PASSWORD.", name);
            return;
        }
        if (ServerBanned(new Origin(name, s.UserName ?? name, s.Host, s.Account)))
        {
            CloseWith(s, DisconnectReason.Killed, "You are banned from this server.");
            return;
        }
        s.Name = name;
        MarkRegistered(s);
        _state.ByName[key] = s;
        Log.Registered(_logger, s.Id, s.RemoteAddress, ChatServer.DoorName(s.Door), name);
        Presence(s, name, online: true);
        s.UserName ??= name;
        if (s.AutoJoinDefaultRoom)
        {
            var room = GetOrCreateRoom(_options.DefaultRoom, s, out var created);
            EnterRoom(s, room, welcome: true, created);
        }
        else Send(s, new WelcomeReply(name, "", 0));
    }

    /// <summary>
    /// True when the name is valid and free for this person. With <paramref name="choosing"/> (a first name, not /nick)
    /// an account's name that is online says so: its password joins that person's connections.
    /// </summary>
    private bool CheckNameFree(Session s, string name, bool choosing = false)
    {
        var problem = NameRules.ValidateName(name);
        if (problem is not null)
        {
            Error(s, ErrorCode.ErroneousName, problem, name);
            return false;
        }
        var key = NameRules.Fold(name);
        var held = _state.ByName.TryGetValue(key, out var holder) && !ReferenceEquals(holder, s);
        var registered = _state.Accounts.TryGetValue(key, out var account) && s.AccountKey != key;
        if (held && registered && choosing)
        {
            Send(s, new ErrorReply(ErrorCode.NameRegistered,
                $"{holder!.Name} is online with this account. Give its password to join them, or choose another name.", holder.Name) { NameOnline = true });
            return false;
        }
        if (held)
        {
            Error(s, ErrorCode.NameInUse, $"The name \"{name}\" is already taken.", name);
            return false;
        }
        if (registered)
        {
            Error(s, ErrorCode.NameRegistered, $"The name \"{account!.Name}\" is registered. Log in with /login {account.Name} PASSWORD, or choose another name.", name);
            return false;
        }
        return true;
    }

    // NICK <new name>
    internal void ChangeName(Session s, string name)
    {
        var old = s.Name!;
        if (name == old) return;
        if (s.Group is not null)
        {
            Error(s, ErrorCode.BadArgument, "Your account is connected from elsewhere too, and its connections share one name.", name);
            return;
        }
        if (!CheckNameFree(s, name)) return;
        var origin = s.Origin;
        RememberWhoWas(s);
        _state.ByName.Remove(NameRules.Fold(old));
        _state.ByName[NameRules.Fold(name)] = s;
        s.Name = name;
        Log.NickChanged(_logger, old, name);
        if (NameRules.Fold(old) != NameRules.Fold(name))
        {
            // A change of case is the same name to MONITOR: its watchers hear nothing.
            Presence(s, old, online: false);
            Presence(s, name, online: true);
        }
        var ev = new NickEvent(old, name) { By = origin };
        foreach (var other in PeopleSharingARoom(s)) Send(other, ev);
        Send(s, new NickChangedReply(old, name));
    }

    // ME [target] <action>: to a room (the current one without a target), or to a person.
    internal void Me(Session s, ChatCommand c)
    {
        if (c.Target is { } target && !NameRules.LooksLikeRoom(target)) PrivateMessage(s, target, c.Text ?? "", MessageKind.Action);
        else Say(s, c.Target, c.Text ?? "", MessageKind.Action, c);
    }

    // NOTICE <target> <text>: RFC 2812 3.3.2: "automatic replies MUST NEVER be sent in response to a NOTICE message".
    internal void Notice(Session s, ChatCommand c)
    {
        _quietErrors = true;
        try { PrivateMessage(s, c.Target ?? "", c.Text ?? "", MessageKind.Notice, c); }
        finally { _quietErrors = false; }
    }

    // MSG <name> <text>: a private message, stored and shown only to its two people.
    internal void PrivateMessage(Session s, string target, string text, MessageKind kind = MessageKind.Normal, ChatCommand? c = null)
    {
        if (NameRules.LooksLikeRoom(target) || target.Length > 1 && target[0] is '@' or '+' && NameRules.LooksLikeRoom(target[1..]))
        {
            Say(s, target, text, kind, c);
            return;
        }
        if (!_state.ByName.TryGetValue(NameRules.Fold(target), out var to))
        {
            Error(s, ErrorCode.NoSuchName, $"No one called \"{target}\" is online. Type /who to see who is.", target);
            return;
        }
        text = TextLimits.RemoveLineBreaks(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            Error(s, ErrorCode.EmptyMessage, "Empty messages are not sent.");
            return;
        }
        var ev = new PrivateMessageEvent(++_state.LastId, Now, s.Name!, to.Name!, text, kind) { By = s.Origin, ClientTags = c?.ClientTags, FromBot = s.IsBot };
        _sink.Batch.Messages.Add(new StoredMessage(ev.Id, ev.Time, null, ev.From, ev.To, ev.Text, ev.Kind)
            { FromOwner = s.HistoryOwner, ToOwner = to.HistoryOwner });
        Metrics.MessageIn(s.Door);
        Log.PrivateMessage(_logger, ev.From, ev.To, text);
        foreach (var t in GroupOf(to)) Send(t, ev);
        Send(s, new PrivateSentReply(ev));
        // The sender's other connections show what was sent from this one.
        if (s.Group is { } mine)
            foreach (var other in mine)
                if (!ReferenceEquals(other, s) && !ReferenceEquals(GroupOf(to), mine))
                    Send(other, new PrivateSentReply(ev) { FromAnotherConnection = true });
        if (kind == MessageKind.Normal && to.AwayMessage is { } away) Send(s, new AwayNoticeReply(to.Name!, away));
    }


    // WHO [#room]: everyone online, or the members of a room.
    internal void Who(Session s, string? room)
    {
        if (room is null)
        {
            // Invisible (+i) people are hidden only from those who share no room with them.
            HashSet<string>? near = null;
            bool Listed(Session p)
            {
                if (p.Name == s.Name || !GroupOf(p).Any(static c => c.Invisible)) return true;
                if (near is null)
                {
                    near = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var r in s.Rooms) foreach (var m in r.Members) near.Add(m.Name!);
                }
                return near.Contains(p.Name!);
            }
            var names = _state.ByName.Values.Where(Listed).Select(p => p.Name!)
                .Order(StringComparer.OrdinalIgnoreCase).Take(ChatServer.MaxListed).ToList();
            Send(s, new WhoReply(null, names) { Total = _state.ByName.Count });
            return;
        }
        if (!TryFindVisibleRoom(s, room, out var r)) return;
        var members = r.Members.Select(p => p.Name!).Distinct().ToList();
        Send(s, new WhoReply(r.Name, members.Take(ChatServer.MaxListed).ToList()) { Total = members.Count });
    }


    // QUIT [reason]: a goodbye line, then the connection closes; the others see "alice left (reason)".
    internal void Quit(Session s, string? reason)
    {
        var name = s.Name;
        Send(s, new GoodbyeReply(name is null ? "Goodbye!" : $"Goodbye, {name}!"));
        Leave(s, TextLimits.CleanReason(reason, "quit"));
        CloseAfterDelivery(s, DisconnectReason.Quit);
    }

    internal void CloseWith(Session s, DisconnectReason reason, string text)
    {
        Send(s, new GoodbyeReply(text));
        Leave(s, DisconnectReasonText.Describe(reason));
        CloseAfterDelivery(s, reason);
    }

    /// <summary>Takes a person out of every room, tells the others once, and frees the name.</summary>
    internal void Leave(Session s, string reason)
    {
        if (s.State == SessionState.Closed) return;
        if (s.State == SessionState.Registered && LeaveGroup(s))
        {
            // Another connection of the same account stays: no one else notices.
        }
        else if (s.State == SessionState.Registered)
        {
            RememberWhoWas(s);
            var others = PeopleSharingARoom(s);
            foreach (var room in s.Rooms) room.RemoveMember(s);
            foreach (var room in s.Rooms) EndIfEmpty(room);
            s.Rooms.Clear();
            s.CurrentRoom = null;
            _state.ByName.Remove(NameRules.Fold(s.Name!));
            if (others.Length > 0) SendMany(others, new QuitEvent(s.Name!, reason) { By = s.Origin });
            Presence(s, s.Name!, online: false);
        }
        ForgetWatches(s);
        s.State = SessionState.Closed;
    }

    /// <summary>The server stops: everyone connected is told and closed.</summary>
    internal void ShutdownAll(string notice, IEnumerable<Session> everyone)
    {
        var ev = new ServerNoticeEvent(notice);
        foreach (var s in everyone)
        {
            if (s.State == SessionState.Closed) continue;
            Send(s, ev);
            s.State = SessionState.Closed;
            CloseAfterDelivery(s, DisconnectReason.ServerShutdown);
        }
        _state.ByName.Clear();
        foreach (var r in _state.Rooms.Values)
            foreach (var m in r.Members) r.RemoveMember(m);
    }

    /// <summary>
    /// In a cluster, a node stopped or was lost: its people, in a fixed order, are told (when there is a notice),
    /// leave as if they had quit with the reason, and are closed.
    /// </summary>
    internal void NodeGone(IReadOnlyList<Session> people, string? notice, string reason, DisconnectReason closeReason)
    {
        foreach (var s in people)
        {
            if (s.State == SessionState.Closed) continue;
            if (notice is not null) Send(s, new ServerNoticeEvent(notice));
            Leave(s, reason);
            CloseAfterDelivery(s, closeReason);
        }
    }

    /// <summary>Everyone in at least one room with this person, each once, this person excluded.</summary>
    private Session[] PeopleSharingARoom(Session s)
    {
        if (s.Rooms.Count == 0) return [];
        if (s.Rooms.Count == 1)
        {
            var members = s.Rooms[0].Members;
            if (Array.IndexOf(members, s) < 0) return members;
            var result = new Session[members.Length - 1];
            var n = 0;
            foreach (var m in members) if (!ReferenceEquals(m, s)) result[n++] = m;
            return result;
        }
        var set = new HashSet<Session>();
        foreach (var room in s.Rooms) set.UnionWith(room.Members);
        set.Remove(s);
        return [.. set];
    }
}
