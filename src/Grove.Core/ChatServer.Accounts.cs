using System.Collections.Concurrent;
using Grove.Core.Accounts;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core;

// Accounts: registering a name, logging in (password or web token) and out, and one account on many connections
// (ChatServer.Registered.cs has registered rooms, moderation, lockdown and the audit log). Password hashing is slow on
// purpose, so it runs on threads of its own (PasswordWorkers) between two short steps on the command loop (OnLoop).
public sealed partial class ChatServer
{
    // Written on the command loop; read from any thread (a door asks whether a name is registered).
    private readonly ConcurrentDictionary<string, StoredAccount> _accounts = new(StringComparer.Ordinal);

    // Command loop only.
    private readonly Dictionary<string, StoredToken> _tokens = new(StringComparer.Ordinal);
    private readonly List<string> _serverBans = new();
    private LoginThrottle? _throttle;
    private LoginThrottle Throttle => _throttle ??= new LoginThrottle(_time)
    {
        MaxPerAccount = _options.MaxLoginFailuresPerAccount,
        MaxPerAddress = _options.MaxLoginFailuresPerAddress,
        Window = _options.LoginWindow,
    };
    private volatile bool _lockdown;

    public const int MaxPasswordLength = 1024; // long enough for passphrases and for irctest's 600-byte SASL logins

    /// <summary>True when the name belongs to an account. Any thread.</summary>
    public bool IsRegisteredName(string name) => _accounts.ContainsKey(NameRules.Fold(name.Trim()));

    /// <summary>True while only accounts may sign in.</summary>
    public bool InLockdown => _lockdown;

    public int AccountCount => _accounts.Count;

    private void LoadAccounts(StoredState state)
    {
        foreach (var a in state.Accounts) _accounts[a.Key] = a;
        // A token past its lifetime is dropped here (and from the store with the first batch): otherwise one never
        // used again would stay for ever, since expiry is otherwise only noticed when the token is presented.
        var now = _time.GetUtcNow();
        foreach (var t in state.Tokens)
        {
            if (PastLifetime(t, now)) _batch.Changes.TokensRevoked.Add(t.Key);
            else _tokens[t.Key] = t;
        }
        _serverBans.AddRange(state.ServerBans);
        _lockdown = _options.Lockdown;
        foreach (var r in state.RoomSettings)
        {
            if (!_rooms.TryGetValue(r.Key, out var room)) room = AddRoom(r.Name);
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

    /// <summary>Blocked: too many failures, wait. Busy: too many logins and registrations wait for hashing already.</summary>
    public enum LoginOutcome { LoggedIn, Failed, Blocked, Busy }

    /// <summary>What came of a login or registration: the outcome, words for the person, and the account.</summary>
    public readonly record struct LoginResult(LoginOutcome Outcome, string Message, string? Account = null)
    {
        public bool Ok => Outcome == LoginOutcome.LoggedIn;
    }

    /// <summary>
    /// Logs the connection in to an account. With <paramref name="takeName"/>, a connection without a name then takes
    /// the account's name (the plain door's prompt, the web login form); IRC keeps the nick it registers with.
    /// Failures are rate-limited per account and per IP address and reported only through the result, so each door
    /// words them its own way (IRC SASL numerics, plain lines).
    /// </summary>
    public async Task<LoginResult> LoginAsync(Session s, string name, string password, bool takeName)
    {
        var key = NameRules.Fold(name.Trim());
        var (hash, wait) = await OnLoop(s, () =>
            (_accounts.TryGetValue(key, out var a) ? a.PasswordHash : null, Throttle.Blocked(key, s.RemoteIp)));
        if (wait is { } w) return Blocked(w);
        // An unknown account costs the same time as a known one, so timing does not tell which names exist.
        if (PasswordWork?.TryRun(() => PasswordHasher.Verify(password, hash ?? PasswordHasher.Decoy)) is not { } verifying) return Busy;
        var ok = await verifying && hash is not null;
        return await OnLoop(s, () =>
        {
            if (!ok)
            {
                Throttle.Failed(key, s.RemoteIp);
                Log.LoginFailed(_logger, name.Trim(), s.RemoteAddress);
                AuditAs(name.Trim(), "login-failed", null, null, $"from {s.RemoteIp} on the {DoorName(s.Door)} door");
                return new LoginResult(LoginOutcome.Failed, "Wrong name or password.");
            }
            Throttle.Succeeded(key);
            return LogIn(s, _accounts[key], takeName);
        });
    }

    /// <summary>How long a web session token logs in without the password.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromDays(30);

    private static bool PastLifetime(StoredToken t, DateTimeOffset now) =>
        now - t.CreatedAt > TokenLifetime; // wall clock: a token is stored and outlives the process, no monotonic clock does

    /// <summary>Logs in with a web session token from an earlier login (see <see cref="IssueTokenAsync"/>).</summary>
    public Task<LoginResult> LoginWithTokenAsync(Session s, string token, bool takeName)
    {
        var tokenKey = PasswordHasher.TokenKey(token);
        return OnLoop(s, () =>
        {
            if (Throttle.Blocked("token:", s.RemoteIp) is { } w) return Blocked(w);
            if (_tokens.TryGetValue(tokenKey, out var expired) && PastLifetime(expired, _time.GetUtcNow())) RevokeToken(tokenKey);
            if (!_tokens.TryGetValue(tokenKey, out var t) || !_accounts.TryGetValue(t.Account, out var account))
            {
                Throttle.Failed("token:", s.RemoteIp);
                return new LoginResult(LoginOutcome.Failed, "That session has ended; log in again.");
            }
            return LogIn(s, account, takeName);
        });
    }

    /// <summary>Ends a web session token (logging out in that browser): it logs in no more.</summary>
    public Task LogoutAsync(Session s, string token)
    {
        var tokenKey = PasswordHasher.TokenKey(token);
        return OnLoop(s, () =>
        {
            if (!_tokens.TryGetValue(tokenKey, out var t) || t.Account != s.AccountKey) return false;
            RevokeToken(tokenKey);
            Audit(s, "logout", null, null, $"on the {DoorName(s.Door)} door");
            return true;
        });
    }

    /// <summary>
    /// Drops the web session tokens past their lifetime; how many. Expiry is otherwise noticed only when a token is
    /// presented (or at start), so a long-running server kept every token never presented again, in memory and in the
    /// store. The host calls this every hour.
    /// </summary>
    public Task<int> PurgeExpiredTokensAsync() => OnLoop(null, () =>
    {
        var now = _time.GetUtcNow();
        List<string>? expired = null;
        foreach (var t in _tokens.Values)
            if (PastLifetime(t, now)) (expired ??= new()).Add(t.Key);
        if (expired is null) return 0;
        foreach (var key in expired) RevokeToken(key);
        return expired.Count;
    });

    private void RevokeToken(string tokenKey)
    {
        _tokens.Remove(tokenKey);
        _batch.Changes.TokensRevoked.Add(tokenKey);
    }

    /// <summary>A new web session token for the connection's account (null for a guest). Only its hash is stored.</summary>
    public Task<string?> IssueTokenAsync(Session s) => OnLoop<string?>(s, () =>
    {
        if (s.AccountKey is not { } key) return null;
        var token = PasswordHasher.NewToken();
        var stored = new StoredToken(PasswordHasher.TokenKey(token), key, _time.GetUtcNow());
        _tokens[stored.Key] = stored;
        _batch.Changes.Tokens.Add(stored);
        return token;
    });

    /// <summary>Claims the connection's current name as an account with this password, and logs it in.</summary>
    public async Task<LoginResult> RegisterAccountAsync(Session s, string password)
    {
        if (password.Length < _options.MinPasswordLength)
            return new LoginResult(LoginOutcome.Failed, $"Choose a password of at least {_options.MinPasswordLength} characters.");
        if (password.Length > MaxPasswordLength)
            return new LoginResult(LoginOutcome.Failed, $"A password may have at most {MaxPasswordLength} characters.");
        if (!PasswordHasher.IsAcceptable(password))
            return new LoginResult(LoginOutcome.Failed, "A password may not contain control characters.");
        if (PasswordWork?.TryRun(() => PasswordHasher.Hash(password, _options.PasswordIterations)) is not { } hashing) return Busy;
        var hash = await hashing;
        return await OnLoop(s, () =>
        {
            if (s.State != SessionState.Registered) return new LoginResult(LoginOutcome.Failed, "Choose a name first.");
            if (s.Account is { } current) return new LoginResult(LoginOutcome.Failed, $"You are already logged in as {current}.");
            if (StoreFailing) return new LoginResult(LoginOutcome.Failed, CannotStoreText); // an account not stored would vanish at restart
            var key = NameRules.Fold(s.Name!);
            if (_accounts.ContainsKey(key)) return new LoginResult(LoginOutcome.Failed, $"The name {s.Name} is already registered.");
            // Whoever registered a server operator's name would be a server operator: those accounts are made on the
            // server's machine (grove account create), never from a door.
            if (IsOperatorAccount(key))
                return new LoginResult(LoginOutcome.Failed, $"The name {s.Name} is kept for a server operator; its account is created on the server's machine.");
            var account = new StoredAccount(key, s.Name!, hash, _time.GetUtcNow());
            _accounts[key] = account;
            _batch.Changes.Accounts.Add(account);
            AuditAs(s.Name!, "register-account", null, s.Name, null);
            Log.AccountRegistered(_logger, s.Id, s.RemoteAddress, account.Name);
            s.Account = account.Name;
            if (IsOperatorAccount(key)) s.IsOperator = true;
            Send(s, new LoggedInReply(account.Name, registered: true));
            AnnounceAccount(s);
            return new LoginResult(LoginOutcome.LoggedIn, $"The name {account.Name} is now your account.", account.Name);
        });
    }

    private static readonly LoginResult Busy = new(LoginOutcome.Busy, "The server is busy; try again in a moment.");

    // Hashing has threads of its own with a bounded queue (PasswordWorkers says why), made at the first login and
    // ended with the server; after that every login is refused as busy.
    private PasswordWorkers? _passwordWork;
    private bool _passwordWorkStopped;
    private readonly Lock _passwordWorkGate = new();

    private PasswordWorkers? PasswordWork
    {
        get
        {
            lock (_passwordWorkGate)
                return _passwordWorkStopped ? null : _passwordWork ??= new PasswordWorkers(_options.PasswordQueueLimit);
        }
    }

    private void StopPasswordWork()
    {
        lock (_passwordWorkGate) _passwordWorkStopped = true;
        _passwordWork?.Dispose();
    }

    private static LoginResult Blocked(TimeSpan wait) => new(LoginOutcome.Blocked,
        $"Too many failed logins. Try again in {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} seconds.");

    private bool IsOperatorAccount(string key) => _options.OperatorAccounts.Any(o => NameRules.Fold(o) == key);

    private LoginResult LogIn(Session s, StoredAccount account, bool takeName)
    {
        if (s.IsClosed) return new LoginResult(LoginOutcome.Failed, "The connection is closed.");
        if (s.AccountKey == account.Key) return new LoginResult(LoginOutcome.LoggedIn, $"You are logged in as {account.Name}.", account.Name);
        if (s.Account is { } other) return new LoginResult(LoginOutcome.Failed, $"You are already logged in as {other}.");
        s.Account = account.Name;
        if (IsOperatorAccount(account.Key)) s.IsOperator = true;
        AuditAs(account.Name, "login", null, null, $"from {s.RemoteIp} on the {DoorName(s.Door)} door");
        Log.LoggedIn(_logger, s.Id, s.RemoteAddress, account.Name);
        Send(s, new LoggedInReply(account.Name, registered: false));
        if (s.State == SessionState.Registered) AnnounceAccount(s);
        else if (takeName) Register(s, account.Name);
        return new LoginResult(LoginOutcome.LoggedIn, $"You are logged in as {account.Name}.", account.Name);
    }

    // IRCv3 account-notify: those who share a room see the person's account.
    private void AnnounceAccount(Session s)
    {
        var others = PeopleSharingARoom(s);
        if (others.Length > 0) SendMany(others, new AccountEvent(s.Name!, s.Account) { By = s.Origin });
    }

    /// <summary>Runs <paramref name="f"/> on the command loop and returns its result once its effects are delivered.</summary>
    private async Task<T> OnLoop<T>(Session? s, Func<T> f)
    {
        T result = default!;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Call, default, done) { Call = () => result = f() });
        await done.Task;
        return result;
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
        Log.Registered(_logger, s.Id, s.RemoteAddress, DoorName(s.Door), s.Name!);
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
        if (_byName.TryGetValue(key, out var holder) && ReferenceEquals(holder, s))
        {
            _byName[key] = group[0];
            group[0].IsExtraConnection = false;
        }
        return true;
    }
}
