namespace Grove.Core.Accounts;

/// <summary>An account: its name as registered, the folded key, and the password hash (never the password).</summary>
public sealed record StoredAccount(string Key, string Name, string PasswordHash, DateTimeOffset CreatedAt);

/// <summary>
/// A registered room's lasting settings: its owner account, modes (letters of t n m i s), key, limit, ban and mute
/// masks, and the accounts that get operator or voice whenever they join.
/// </summary>
public sealed record StoredRoomSettings(string Key, string Name, string Owner, string Modes, string? Password, int Limit,
    IReadOnlyList<string> Bans, IReadOnlyList<string> Mutes, IReadOnlyList<string> Operators, IReadOnlyList<string> Voices,
    DateTimeOffset RegisteredAt);

/// <summary>One moderation or account action: who did what to whom, where and when.</summary>
public sealed record AuditEntry(DateTimeOffset Time, string Actor, string Action, string? Room, string? Target, string? Detail);

/// <summary>A web session token: its SHA-256 key (the token itself is never stored) and its account.</summary>
public sealed record StoredToken(string Key, string Account, DateTimeOffset CreatedAt);

/// <summary>Account and moderation changes of one group commit.</summary>
public sealed class StoreChanges
{
    public List<StoredAccount> Accounts { get; } = new();
    public List<StoredRoomSettings> RoomSettings { get; } = new();
    public List<AuditEntry> Audit { get; } = new();
    public List<StoredToken> Tokens { get; } = new();
    /// <summary>Keys of tokens that ended (logged out or expired).</summary>
    public List<string> TokensRevoked { get; } = new();
    /// <summary>The whole list of server-wide ban masks when it changed, else null.</summary>
    public IReadOnlyList<string>? ServerBans { get; set; }
    public bool IsEmpty => Accounts.Count == 0 && RoomSettings.Count == 0 && Audit.Count == 0 && Tokens.Count == 0 && TokensRevoked.Count == 0 && ServerBans is null;

    public void AddFrom(StoreChanges other)
    {
        Accounts.AddRange(other.Accounts);
        RoomSettings.AddRange(other.RoomSettings);
        Audit.AddRange(other.Audit);
        Tokens.AddRange(other.Tokens);
        TokensRevoked.AddRange(other.TokensRevoked);
        if (other.ServerBans is not null) ServerBans = other.ServerBans;
    }

    public void Clear()
    {
        Accounts.Clear();
        RoomSettings.Clear();
        Audit.Clear();
        Tokens.Clear();
        TokensRevoked.Clear();
        ServerBans = null;
    }
}

/// <summary>What the core loads at start besides rooms: accounts, registered rooms' settings, web tokens.</summary>
public sealed record StoredState(IReadOnlyList<StoredAccount> Accounts, IReadOnlyList<StoredRoomSettings> RoomSettings, IReadOnlyList<StoredToken> Tokens,
    IReadOnlyList<string> ServerBans)
{
    public static readonly StoredState Empty = new([], [], [], []);
}
