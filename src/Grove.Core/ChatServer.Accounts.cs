using System.Collections.Concurrent;
using Grove.Core.Accounts;
using Grove.Core.Cluster;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.Handlers;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core;

// Accounts for the doors: registering a name, logging in (password or web token) and out. Password hashing is slow on
// purpose, so it runs on threads of its own (PasswordWorkers) between two short steps of the handlers on the command
// loop (OnLoop; Handlers/ChatHandlers.Accounts.cs).
public sealed partial class ChatServer
{
    public const int MaxPasswordLength = 1024; // long enough for passphrases and for irctest's 600-byte SASL logins

    /// <summary>True when the name belongs to an account. Any thread.</summary>
    public bool IsRegisteredName(string name) => _state.Accounts.ContainsKey(NameRules.Fold(name.Trim()));

    /// <summary>True while only accounts may sign in.</summary>
    public bool InLockdown => _state.Lockdown;

    public int AccountCount => _state.Accounts.Count;

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
        var (hash, wait) = await OnLoop(s, () => _handlers.LoginCheck(s, key));
        if (wait is { } w) return ChatHandlers.Blocked(w);
        // An unknown account costs the same time as a known one, so timing does not tell which names exist.
        if (PasswordWork?.TryRun(() => PasswordHasher.Verify(password, hash ?? PasswordHasher.Decoy)) is not { } verifying) return Busy;
        var ok = await verifying && hash is not null;
        return await OnLoopStep(s, new LoginApplyStep(key, name.Trim(), ok, takeName));
    }

    /// <summary>How long a web session token logs in without the password.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromDays(30);

    /// <summary>Logs in with a web session token from an earlier login (see <see cref="IssueTokenAsync"/>).</summary>
    public Task<LoginResult> LoginWithTokenAsync(Session s, string token, bool takeName)
    {
        var tokenKey = PasswordHasher.TokenKey(token);
        return OnLoopStep(s, new TokenLoginStep(tokenKey, takeName));
    }

    /// <summary>Ends a web session token (logging out in that browser): it logs in no more.</summary>
    public Task LogoutAsync(Session s, string token)
    {
        var tokenKey = PasswordHasher.TokenKey(token);
        return OnLoopStep<bool>(s, new LogoutStep(tokenKey), refused: false);
    }

    /// <summary>
    /// Drops the web session tokens past their lifetime; how many. Expiry is otherwise noticed only when a token is
    /// presented (or at start), so a long-running server kept every token never presented again, in memory and in the
    /// store. The host calls this every hour.
    /// </summary>
    public Task<int> PurgeExpiredTokensAsync() => OnLoopStep(null, new PurgeTokensStep(), refused: 0);

    /// <summary>A new web session token for the connection's account (null for a guest). Only its hash is stored.</summary>
    public Task<string?> IssueTokenAsync(Session s)
    {
        var token = PasswordHasher.NewToken();
        return IssueAsync(s, token);
    }

    private async Task<string?> IssueAsync(Session s, string token)
    {
        return await OnLoopStep<bool>(s, new IssueTokenStep(PasswordHasher.TokenKey(token)), refused: false) ? token : null;
    }

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
        // An account not stored would vanish at the next start.
        // (In a cluster the log refuses it instead: a step every node applies may not depend on one node's store.)
        if (_cluster is null && StoreFailing) return await OnLoop(s, () => s.State == SessionState.Registered && s.Account is null
            ? new LoginResult(LoginOutcome.Failed, CannotStoreText)
            : _handlers.RegisterAccount(s, hash));
        return await OnLoopStep(s, new RegisterAccountStep(hash));
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

    /// <summary>Runs <paramref name="f"/> on the command loop and returns its result once its effects are delivered.</summary>
    private static readonly LoginResult NotStored = new(LoginOutcome.Failed, CannotStoreText);

    // A step that changes state: in a cluster it goes through the command log (refused, with `refused` as the answer,
    // when the log cannot be written); alone it runs like any other loop call.
    private Task<LoginResult> OnLoopStep(Session? s, AccountStep step) => OnLoopStep(s, step, NotStored);

    private async Task<T> OnLoopStep<T>(Session? s, AccountStep step, T refused)
    {
        T result = default!;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Call, default, done)
        {
            Call = () => result = (T)step.Apply(_handlers, s)!,
            Step = step,
            Refuse = () => result = refused,
        });
        await done.Task;
        return result;
    }

    private async Task<T> OnLoop<T>(Session? s, Func<T> f)
    {
        T result = default!;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _commands.Writer.WriteAsync(new WorkItem(s, null, Op.Call, default, done) { Call = () => result = f() });
        await done.Task;
        return result;
    }
}
