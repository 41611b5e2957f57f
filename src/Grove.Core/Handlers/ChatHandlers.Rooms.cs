using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

using Grove.Core.Pipeline;
using Grove.Core.State;

namespace Grove.Core.Handlers;

// Command handlers about rooms: messages, join, part, topic, room list, history. Command loop only.
internal sealed partial class ChatHandlers
{
    // SAY [#room] <text>: plain-door people speak to their current room; other doors name the room.
    internal void Say(Session s, string? roomName, string text, MessageKind kind, ChatCommand? c = null)
    {
        var minimum = c?.MinimumStatus ?? MemberStatus.None;
        if (roomName is { Length: > 1 } && roomName[0] is '@' or '+')
        {
            minimum = roomName[0] == '@' ? MemberStatus.Operator : MemberStatus.Voice;
            roomName = roomName[1..];
        }
        Room? room;
        if (roomName is null)
        {
            room = s.CurrentRoom;
            if (room is null)
            {
                Error(s, ErrorCode.NotInRoom, "You are not in a room. Type /join #room to enter one.");
                return;
            }
        }
        else if (!TryFindRoom(s, roomName, out room)) return;

        var member = room.Contains(s);
        if (!member && (room.Modes & RoomModes.NoExternal) != 0)
        {
            Error(s, ErrorCode.CannotSendToRoom, $"You are not in {room.Name}. Type /join {room.Name} first.", room.Name);
            return;
        }
        if (room.IsMuted(s))
        {
            Error(s, ErrorCode.Muted, $"You are muted in {room.Name}.", room.Name);
            return;
        }
        if (room.IsBanned(s) && !room.IsOperator(s) || !room.CanSpeak(s))
        {
            Error(s, ErrorCode.CannotSendToRoom, $"You cannot speak in {room.Name} (it is moderated, or you are banned).", room.Name);
            return;
        }
        text = TextLimits.RemoveLineBreaks(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            Error(s, ErrorCode.EmptyMessage, "Empty messages are not sent.");
            return;
        }
        if (minimum != MemberStatus.None)
        {
            // A status message (IRC STATUSMSG "@#room"): only operators (or voiced people) see it; not history.
            var statusEvent = new RoomMessageEvent(++_state.LastId, Now, (minimum == MemberStatus.Operator ? "@" : "+") + room.Name, s.Name!, text, kind)
                { By = s.Origin, ClientTags = c?.ClientTags, FromBot = s.IsBot };
            var to = room.Members.Where(m => !ReferenceEquals(m, s) && room.StatusOf(m) >= minimum).ToArray();
            SendMany(to, statusEvent);
            Send(s, new EchoReply(statusEvent));
            return;
        }
        var ev = new RoomMessageEvent(++_state.LastId, Now, room.Name, s.Name!, text, kind)
            { By = s.Origin, ClientTags = c?.ClientTags, FromBot = s.IsBot, Gates = room.Gates, GatesSince = room.GatesSince };
        room.Recent.Add(ev);
        _sink.Batch.Messages.Add(new StoredMessage(ev.Id, ev.Time, room.Key, ev.From, null, ev.Text, ev.Kind) { Gates = ev.Gates, GatesSince = ev.GatesSince });
        Metrics.MessageIn(s.Door);
        Log.RoomMessage(_logger, ev.From, room.Name, text);
        SendRoom(room, ev, except: s);
        Send(s, new EchoReply(ev));
    }

    // JOIN <#room> [key]: enter a room, creating it if needed (the creator is its operator).
    // A plain-door person moves from their current room.
    internal void Join(Session s, string roomName, string? key = null)
    {
        var problem = NameRules.ValidateRoomName(roomName);
        if (problem is not null)
        {
            Error(s, ErrorCode.BadRoomName, problem, roomName);
            return;
        }
        var room = GetOrCreateRoom(roomName, s, out var created);
        if (room.Contains(s))
        {
            if (s.SingleRoom && !ReferenceEquals(s.CurrentRoom, room)) s.CurrentRoom = room;
            else Send(s, new ErrorReply(ErrorCode.BadArgument, $"You are already in {room.Name}.", room.Name));
            return;
        }
        if (!s.SingleRoom && s.Rooms.Count >= _options.MaxRoomsPerPerson)
        {
            Error(s, ErrorCode.TooManyRooms, $"You are in {_options.MaxRoomsPerPerson} rooms, the most one person may be in. Leave one first.", room.Name);
            return;
        }
        if (room.Members.Length >= _options.MaxRoomMembers)
        {
            Error(s, ErrorCode.RoomFull, $"{room.Name} is full ({_options.MaxRoomMembers} people).", room.Name);
            return;
        }
        if (!created && !MayJoin(s, room, key)) return;
        if (s.SingleRoom && s.CurrentRoom is { } previous) LeaveRoom(s, previous, $"went to {room.Name}");
        EnterRoom(s, room, welcome: false, created);
        FollowJoin(s, room);
    }

    /// <summary>The room's gates: bans, invite-only, key, limit. An invitation opens all but the key and limit.</summary>
    private bool MayJoin(Session s, Room room, string? key)
    {
        // The owner and the operators of a registered room pass its gates, whatever they were set to.
        if (room.Owner is not null && s.AccountKey is { } account && (account == room.Owner || room.AccessOperators.Contains(account))) return true;
        var invited = room.Invited.Contains(NameRules.Fold(s.Name!));
        if (room.IsBanned(s) && !invited)
        {
            Error(s, ErrorCode.Banned, $"You are banned from {room.Name}.", room.Name);
            return false;
        }
        if ((room.Modes & RoomModes.InviteOnly) != 0 && !invited)
        {
            Error(s, ErrorCode.InviteOnly, $"{room.Name} is invite-only: ask one of its operators for an invitation.", room.Name);
            return false;
        }
        if (room.Password is { } password && key != password)
        {
            Error(s, ErrorCode.BadRoomKey, $"{room.Name} needs a key to join.", room.Name);
            return false;
        }
        if (room.Limit > 0 && room.PeopleCount >= room.Limit)
        {
            Error(s, ErrorCode.RoomFull, $"{room.Name} is full.", room.Name);
            return false;
        }
        room.Invited.Remove(NameRules.Fold(s.Name!));
        return true;
    }

    /// <summary>
    /// Puts the person in the room and shows them its names, topic and recent lines. Without
    /// <paramref name="announce"/> (another connection of someone already there) the members see no join.
    /// </summary>
    private void EnterRoom(Session s, Room room, bool welcome, bool created, bool announce = true)
    {
        var others = room.PeopleCount;
        var empty = room.Members.Length == 0;
        if (announce) SendRoom(room, new JoinEvent(room.Name, s.Name!) { By = s.Origin, RealName = s.RealName, AwayMessage = s.AwayMessage, RoomSize = others + 1 }, except: null);
        // The person passed the gates the room has now (Join checked them); another connection of someone already
        // inside comes in as that one did.
        var sibling = announce ? null : room.Members.FirstOrDefault(m => m.Name == s.Name);
        var admission = sibling is not null ? room.AdmissionOf(sibling)! : new Admission(room.Gates, room.GatesSince, _state.LastId);
        room.AddMember(s, admission);
        if (sibling is not null)
        {
            // The same standing as the person's connection already in the room.
            room.SetStatus(s, room.StatusOf(sibling));
        }
        else if (room.Owner is not null)
        {
            // A registered room: standing comes from its access lists, by account.
            if (s.AccountKey is { } account && (account == room.Owner || room.AccessOperators.Contains(account)))
                room.SetStatus(s, MemberStatus.Operator);
            else if (s.AccountKey is { } voiced && room.AccessVoices.Contains(voiced))
                room.SetStatus(s, MemberStatus.Voice);
        }
        // The first person in an empty room is its operator (as on IRC, where an empty channel starts anew),
        // except in the default room, which belongs to everyone.
        else if (empty && room.Key != NameRules.Fold(_options.DefaultRoom))
            room.SetStatus(s, MemberStatus.Operator);
        s.Rooms.Add(room);
        s.CurrentRoom = room;
        if (welcome) Send(s, new WelcomeReply(s.Name!, room.Name, others));
        // One entry per person, however many connections they have in the room.
        // (A door that lists only some names in a large room: only those are gathered, so an arrival costs the same
        // in a room of ten thousand as in one of ten.)
        var listed = s.Policy.NamesInLargeRoom is { } some && room.PeopleCount >= DoorPolicy.LargeRoom ? some : int.MaxValue;
        var people = room.Members.DistinctBy(m => m.Name).Take(listed).ToList();
        Send(s, new JoinedReply(room.Name, room.Topic, people.Select(m => m.Name!).ToList(), created, welcome)
        {
            People = room.PeopleCount,
            Statuses = people.Select(room.StatusOf).ToList(),
            Origins = people.Select(m => m.Origin).ToList(),
            AwayMessages = people.Select(m => m.AwayMessage).ToList(),
            TopicSetBy = room.TopicSetBy,
            TopicSetAt = room.TopicSetAt,
            Secret = (room.Modes & RoomModes.Secret) != 0,
            Self = s.Name,
        });
        var recent = room.Recent.Latest(_options.HistoryOnJoin, admission);
        var cursor = Cursor(s, room.Key);
        cursor.Oldest = recent is { Count: > 0 } ? recent[0].Id : _state.LastId + 1;
        if (recent is { Count: > 0 })
            Send(s, new HistoryReply(room.Name, recent.Select(m => (ChatEvent)AsHistory(m)).ToList(), onJoin: true));
    }

    // JOIN 0 (IRC): leave every room.
    internal void PartAll(Session s, string? reason)
    {
        foreach (var room in s.Rooms.ToList())
        {
            LeaveRoom(s, room, TextLimits.CleanReason(reason, "left"));
            Send(s, new PartedReply(room.Name));
        }
    }

    // PART [#room] [reason]
    internal void Part(Session s, string? roomName, string? reason)
    {
        Room? room;
        if (roomName is null) room = s.CurrentRoom;
        else if (!TryFindRoom(s, roomName, out room)) return;
        if (room is null || !room.Contains(s))
        {
            Error(s, ErrorCode.NotInRoom, room is null ? "You are not in a room." : $"You are not in {room.Name}.", room?.Name);
            return;
        }
        var cleaned = TextLimits.CleanReason(reason, "left");
        LeaveRoom(s, room, cleaned);
        Send(s, new PartedReply(room.Name, string.IsNullOrWhiteSpace(reason) ? null : cleaned));
    }

    private void LeaveRoom(Session s, Room room, string reason)
    {
        room.RemoveMember(s);
        s.Rooms.Remove(room);
        if (ReferenceEquals(s.CurrentRoom, room)) s.CurrentRoom = s.SingleRoom || s.Rooms.Count == 0 ? null : s.Rooms[^1];
        SendRoom(room, new PartEvent(room.Name, s.Name!, reason) { By = s.Origin }, except: null);
        FollowLeave(s, room);
        EndIfEmpty(room);
    }

    /// <summary>
    /// A channel nobody is in ends, as on IRC: an unregistered room loses its modes, key, limit, bans, topic and
    /// operators (the next to join is its operator). Registered rooms and the default room keep their settings.
    /// </summary>
    private void EndIfEmpty(Room room)
    {
        if (room.Members.Length > 0 || room.Owner is not null || room.Key == NameRules.Fold(_options.DefaultRoom)) return;
        var hadTopic = room.Topic is not null;
        room.Reset(Now);
        if (hadTopic) _sink.Batch.RoomChanges.Add(Stored(room)); // the stored topic goes too
    }

    // ROOMS: every room with its member count and topic, busiest first.
    internal void ListRooms(Session s)
    {
        var list = _state.Rooms.Values
            .OrderByDescending(r => r.PeopleCount).ThenBy(r => r.Key, StringComparer.Ordinal)
            .Where(r => (r.Modes & RoomModes.Secret) == 0 || r.Contains(s))
            .Take(ChatServer.MaxListed)
            .Select(r => new RoomSummary(r.Name, r.PeopleCount, r.Topic)).ToList();
        Send(s, new RoomsReply(list) { Total = _state.Rooms.Count });
    }

    // TOPIC [#room] [text]: show the topic, or set it.
    internal void Topic(Session s, string? roomName, string? text)
    {
        Room? room;
        if (roomName is null) room = s.CurrentRoom;
        else if (!TryFindVisibleRoom(s, roomName, out room)) return;
        if (room is null)
        {
            Error(s, ErrorCode.NotInRoom, "You are not in a room.");
            return;
        }
        if (text is null)
        {
            Send(s, new TopicReply(room.Name, room.Topic, room.TopicSetBy) { SetAt = room.TopicSetAt });
            return;
        }
        if (!room.Contains(s))
        {
            Error(s, ErrorCode.NotInRoom, $"You are not in {room.Name}.", room.Name);
            return;
        }
        if ((room.Modes & RoomModes.TopicLock) != 0 && !room.IsOperator(s) && !s.IsOperator)
        {
            Error(s, ErrorCode.OperatorNeeded, $"Only operators of {room.Name} can change its topic.", room.Name);
            return;
        }
        if (text.Length > TextLimits.MaxTopicLength)
        {
            Error(s, ErrorCode.TopicTooLong, $"A topic can be at most {TextLimits.MaxTopicLength} characters long.", room.Name);
            return;
        }
        if (text.Any(c => char.IsControl(c) || NameRules.IsBidiControl(c)))
        {
            Error(s, ErrorCode.BadArgument, "A topic cannot contain control characters.", room.Name);
            return;
        }
        room.Topic = text.Trim();
        room.TopicSetBy = s.Name;
        room.TopicSetAt = Now;
        _sink.Batch.RoomChanges.Add(Stored(room));
        SendRoom(room, new TopicEvent(room.Name, s.Name!, room.Topic) { By = s.Origin }, except: null);
    }

    private bool TryFindRoom(Session s, string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Room? room)
    {
        if (_state.Rooms.TryGetValue(NameRules.Fold(name), out room)) return true;
        var problem = NameRules.ValidateRoomName(name);
        if (problem is not null) Error(s, ErrorCode.BadRoomName, problem, name);
        else Error(s, ErrorCode.NoSuchRoom, $"There is no room called {name}. Type /rooms to see them.", name);
        return false;
    }

    /// <summary>
    /// As TryFindRoom, but a secret (+s) room is "no such room" to whoever is not in it (server operators excepted),
    /// as /rooms and IRC's NAMES and WHO already hide it: /who and /topic told outsiders its members and topic.
    /// </summary>
    private bool TryFindVisibleRoom(Session s, string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Room? room)
    {
        if (!TryFindRoom(s, name, out room)) return false;
        if ((room.Modes & RoomModes.Secret) == 0 || room.Contains(s) || s.IsOperator) return true;
        Error(s, ErrorCode.NoSuchRoom, $"There is no room called {name}. Type /rooms to see them.", name);
        room = null;
        return false;
    }

    private Room GetOrCreateRoom(string name, Session by, out bool created)
    {
        if (_state.Rooms.TryGetValue(NameRules.Fold(name), out var room))
        {
            created = false;
            return room;
        }
        room = AddRoom(name);
        created = true;
        _sink.Batch.RoomChanges.Add(Stored(room));
        Log.RoomCreated(_logger, room.Name, by.Name ?? "-");
        return room;
    }

    private Room AddRoom(string name)
    {
        var room = new Room(name) { CreatedAt = Now };
        // The default room belongs to everyone: no operator, so no topic lock either.
        if (room.Key == NameRules.Fold(_options.DefaultRoom)) room.Modes = RoomModes.NoExternal;
        _state.Rooms[room.Key] = room;
        _state.RoomView[room.Key] = room;
        return room;
    }

    private static StoredRoom Stored(Room r) => new(r.Name, r.Topic, r.TopicSetBy, r.TopicSetAt);

    private static RoomMessageEvent AsHistory(RoomMessageEvent m) =>
        new(m.Id, m.Time, m.Room, m.From, m.Text, m.Kind) { IsHistory = true, By = m.By, FromBot = m.FromBot, At = m.Time, Gates = m.Gates, GatesSince = m.GatesSince };

    internal static RoomMessageEvent ToEvent(StoredMessage m, string roomName, bool history = false) =>
        new(m.Id, m.Time, roomName, m.From, m.Text, m.Kind) { IsHistory = history, At = m.Time, Gates = m.Gates, GatesSince = m.GatesSince };
}
