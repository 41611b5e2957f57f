using System.Collections.Concurrent;
using Grove.Core.Accounts;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

using Grove.Core.Pipeline;
using Grove.Core.State;

namespace Grove.Core.Handlers;

// Accounts on the command loop: the steps of logging in and registering that change state (ChatServer.Accounts.cs
// runs the slow hashing between them, off the loop), tokens, and one account on many connections.
internal sealed partial class ChatHandlers
{
    internal void LoadAccounts(StoredState state, DateTimeOffset now)
    {
        foreach (var a in state.Accounts) _state.Accounts[a.Key] = a;
        // A token past its lifetime is dropped here (and from the store with the first batch): otherwise one never
        // used again would stay for ever, since expiry is otherwise only noticed when the token is presented.
        foreach (var t in state.Tokens)
        {
            if (PastLifetime(t, now)) _sink.Batch.Changes.TokensRevoked.Add(t.Key);
            else _state.Tokens[t.Key] = t;
        }
        _state.ServerBans.AddRange(state.ServerBans);
        foreach (var r in state.RoomSettings)
        {
            if (!_state.Rooms.TryGetValue(r.Key, out var room)) room = AddRoom(r.Name);
            room.Owner = r.Owner;
            room.RegisteredAt = r.RegisteredAt;
            room.Modes = ParseModes(r.Modes);
            room.Password = r.Password;
            room.Limit = r.Limit;
            // Who set each entry is not kept; the lists show the owner, who answers for the room.
            var owner = AccountName(r.Owner);
            foreach (var m in r.Bans) room.Bans.Add(new BanEntry(m, owner, r.RegisteredAt));
            foreach (var m in r.Mutes) room.Mutes.Add(new BanEntry(m, owner, r.RegisteredAt));
            room.AccessOperators.UnionWith(r.Operators);
            room.AccessVoices.UnionWith(r.Voices);
        }
    }

    internal static bool PastLifetime(StoredToken t, DateTimeOffset now) =>
        now - t.CreatedAt > ChatServer.TokenLifetime; // wall clock: a token is stored and outlives the process, no monotonic clock does

    // The steps of ChatServer's login methods that run on the loop, each with the command's stamp.

    /// <summary>Before hashing: the account's hash (null: no such account) and how long the person must wait.</summary>
    internal (string? Hash, TimeSpan? Wait) LoginCheck(Session s, string key) =>
        (_state.Accounts.TryGetValue(key, out var a) ? a.PasswordHash : null, _state.Throttle.Blocked(key, s.RemoteIp, Stamp.Monotonic));

    /// <summary>After hashing: logs in, or counts a failure.</summary>
    internal ChatServer.LoginResult LoginApply(Session s, string key, string name, bool ok, bool takeName)
    {
        if (!ok)
        {
            _state.Throttle.Failed(key, s.RemoteIp, Stamp.Monotonic);
            Log.LoginFailed(_logger, name, s.RemoteAddress);
            AuditAs(name, "login-failed", null, null, $"from {s.RemoteIp} on the {ChatServer.DoorName(s.Door)} door");
            return new ChatServer.LoginResult(ChatServer.LoginOutcome.Failed, "Wrong name or password.");
        }
        _state.Throttle.Succeeded(key);
        return LogIn(s, _state.Accounts[key], takeName);
    }

    internal ChatServer.LoginResult LoginWithToken(Session s, string tokenKey, bool takeName)
    {
        if (_state.Throttle.Blocked("token:", s.RemoteIp, Stamp.Monotonic) is { } w) return Blocked(w);
        if (_state.Tokens.TryGetValue(tokenKey, out var expired) && PastLifetime(expired, Now)) RevokeToken(tokenKey);
        if (!_state.Tokens.TryGetValue(tokenKey, out var t) || !_state.Accounts.TryGetValue(t.Account, out var account))
        {
            _state.Throttle.Failed("token:", s.RemoteIp, Stamp.Monotonic);
            return new ChatServer.LoginResult(ChatServer.LoginOutcome.Failed, "That session has ended; log in again.");
        }
        return LogIn(s, account, takeName);
    }

    internal bool Logout(Session s, string tokenKey)
    {
        if (!_state.Tokens.TryGetValue(tokenKey, out var t) || t.Account != s.AccountKey) return false;
        RevokeToken(tokenKey);
        Audit(s, "logout", null, null, $"on the {ChatServer.DoorName(s.Door)} door");
        return true;
    }

    internal int PurgeExpiredTokens()
    {
        List<string>? expired = null;
        foreach (var t in _state.Tokens.Values)
            if (PastLifetime(t, Now)) (expired ??= new()).Add(t.Key);
        if (expired is null) return 0;
        foreach (var key in expired) RevokeToken(key);
        return expired.Count;
    }

    /// <summary>Keeps a token (made off the loop: it is random; only its key comes here) for the person's account; false for a guest.</summary>
    internal bool IssueToken(Session s, string tokenKey)
    {
        if (s.AccountKey is not { } key) return false;
        var stored = new StoredToken(tokenKey, key, Now);
        _state.Tokens[stored.Key] = stored;
        _sink.Batch.Changes.Tokens.Add(stored);
        return true;
    }

    /// <summary>After hashing: claims the person's name as an account with this hash.</summary>
    internal ChatServer.LoginResult RegisterAccount(Session s, string hash)
    {
        if (s.State != SessionState.Registered) return new ChatServer.LoginResult(ChatServer.LoginOutcome.Failed, "Choose a name first.");
        if (s.Account is { } current) return new ChatServer.LoginResult(ChatServer.LoginOutcome.Failed, $"You are already logged in as {current}.");
        var key = NameRules.Fold(s.Name!);
        if (_state.Accounts.ContainsKey(key)) return new ChatServer.LoginResult(ChatServer.LoginOutcome.Failed, $"The name {s.Name} is already registered.");
        // Whoever registered a server operator's name would be a server operator: those accounts are made on the
        // server's machine (grove account create), never from a door.
        if (IsOperatorAccount(key))
            return new ChatServer.LoginResult(ChatServer.LoginOutcome.Failed, $"The name {s.Name} is kept for a server operator; its account is created on the server's machine.");
        var account = new StoredAccount(key, s.Name!, hash, Now);
        _state.Accounts[key] = account;
        _sink.Batch.Changes.Accounts.Add(account);
        AuditAs(s.Name!, "register-account", null, s.Name, null);
        Log.AccountRegistered(_logger, s.Id, s.RemoteAddress, account.Name);
        s.Account = account.Name;
        Send(s, new LoggedInReply(account.Name, registered: true));
        AnnounceAccount(s);
        return new ChatServer.LoginResult(ChatServer.LoginOutcome.LoggedIn, $"The name {account.Name} is now your account.", account.Name);
    }

    private void RevokeToken(string tokenKey)
    {
        _state.Tokens.Remove(tokenKey);
        _sink.Batch.Changes.TokensRevoked.Add(tokenKey);
    }

    internal static ChatServer.LoginResult Blocked(TimeSpan wait) => new(ChatServer.LoginOutcome.Blocked,
        $"Too many failed logins. Try again in {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} seconds.");

    private bool IsOperatorAccount(string key) => _options.OperatorAccounts.Any(o => NameRules.Fold(o) == key);

    internal ChatServer.LoginResult LogIn(Session s, StoredAccount account, bool takeName)
    {
        if (s.IsClosed) return new ChatServer.LoginResult(ChatServer.LoginOutcome.Failed, "The connection is closed.");
        if (s.AccountKey == account.Key)
        {
            // Logged in already: said again, so that the command is not met with silence.
            Send(s, new LoggedInReply(account.Name, registered: false));
            return new ChatServer.LoginResult(ChatServer.LoginOutcome.LoggedIn, $"You are logged in as {account.Name}.", account.Name);
        }
        if (s.Account is { } other) return new ChatServer.LoginResult(ChatServer.LoginOutcome.Failed, $"You are already logged in as {other}.");
        s.Account = account.Name;
        if (IsOperatorAccount(account.Key)) s.IsOperator = true;
        AuditAs(account.Name, "login", null, null, $"from {s.RemoteIp} on the {ChatServer.DoorName(s.Door)} door");
        Log.LoggedIn(_logger, s.Id, s.RemoteAddress, account.Name);
        Send(s, new LoggedInReply(account.Name, registered: false));
        if (s.State == SessionState.Registered) AnnounceAccount(s);
        else if (takeName) Register(s, account.Name);
        return new ChatServer.LoginResult(ChatServer.LoginOutcome.LoggedIn, $"You are logged in as {account.Name}.", account.Name);
    }

    // IRCv3 account-notify: those who share a room see the person's account.
    private void AnnounceAccount(Session s)
    {
        var others = PeopleSharingARoom(s);
        if (others.Length > 0) SendMany(others, new AccountEvent(s.Name!, s.Account) { By = s.Origin });
    }

    // ---- One account, many connections --------------------------------------------------------------------

    /// <summary>Every connection that shares this person's name: the group, or just the person.</summary>
    private static IReadOnlyList<Session> GroupOf(Session s) => s.Group is { } g ? g : [s];

    /// <summary>
    /// A second connection of an account whose name is already online: it shares the name, enters the same rooms
    /// without anyone else seeing a join, and from then on sees what the others see.
    /// </summary>
    private void JoinGroup(Session s, Session holder)
    {
        s.Name = holder.Name;
        MarkRegistered(s);
        s.UserName ??= holder.Name;
        var group = holder.Group ??= new List<Session> { holder };
        group.Add(s);
        s.Group = group;
        s.IsExtraConnection = true;
        Log.Registered(_logger, s.Id, s.RemoteAddress, ChatServer.DoorName(s.Door), s.Name!);
        var rooms = holder.Rooms.ToList();
        if (rooms.Count == 0)
        {
            Send(s, new WelcomeReply(s.Name!, "", 0));
            if (s.AutoJoinDefaultRoom) Join(s, _options.DefaultRoom);
            return;
        }
        // The person is already counted in the room (their other connection): the others are everyone else.
        Send(s, new WelcomeReply(s.Name!, rooms[0].Name, rooms[0].PeopleCount - 1));
        foreach (var room in rooms) EnterRoom(s, room, welcome: false, created: false, announce: false);
    }

    /// <summary>The others of the group follow a join into the room, seen by no one else.</summary>
    private void FollowJoin(Session s, Room room)
    {
        if (s.Group is null) return;
        foreach (var other in s.Group)
            if (!ReferenceEquals(other, s) && !other.IsClosed && !room.Contains(other))
                EnterRoom(other, room, welcome: false, created: false, announce: false);
    }

    /// <summary>The others of the group leave the room too; they already saw the part or kick as members.</summary>
    private void FollowLeave(Session s, Room room)
    {
        if (s.Group is null) return;
        foreach (var other in s.Group)
        {
            if (ReferenceEquals(other, s) || !room.RemoveMember(other)) continue;
            other.Rooms.Remove(room);
            if (ReferenceEquals(other.CurrentRoom, room)) other.CurrentRoom = other.SingleRoom || other.Rooms.Count == 0 ? null : other.Rooms[^1];
        }
    }

    /// <summary>
    /// One connection of a group leaves while others stay: nobody else notices, and the name stays taken.
    /// False when the person has no other connection (then they leave as usual).
    /// </summary>
    private bool LeaveGroup(Session s)
    {
        if (s.Group is not { } group) return false;
        group.Remove(s);
        s.Group = null;
        if (group.Count == 1) group[0].Group = null;
        foreach (var room in s.Rooms) room.RemoveMember(s);
        s.Rooms.Clear();
        s.CurrentRoom = null;
        var key = NameRules.Fold(s.Name!);
        if (_state.ByName.TryGetValue(key, out var holder) && ReferenceEquals(holder, s))
        {
            _state.ByName[key] = group[0];
            group[0].IsExtraConnection = false;
        }
        return true;
    }
}
