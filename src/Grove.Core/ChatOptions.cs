namespace Grove.Core;

/// <summary>Settings of the chat core. Every limit has a default and a reason.</summary>
public sealed class ChatOptions
{
    /// <summary>In a cluster: this node's name (its people's /status and WHOIS say it).</summary>
    public string NodeName { get; set; } = "grove";

    /// <summary>In a cluster: how long a node may fail to renew its lease before the others count it lost.</summary>
    public TimeSpan NodeLostAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where a person lands after choosing a name.</summary>
    public string DefaultRoom { get; set; } = Names.NameRules.DefaultRoom;

    /// <summary>How many recent messages a join replays.</summary>
    public int HistoryOnJoin { get; set; } = 20;

    /// <summary>
    /// Hard limit of a connection's outbound queue in bytes. Past it the connection is closed as a slow consumer, so
    /// one client that stops reading costs at most this much memory and never slows the room.
    /// </summary>
    public long OutboxMaxBytes { get; set; } = 1024 * 1024;

    /// <summary>Commands waiting for the command loop; a door reading faster than that waits (back-pressure).</summary>
    public int CommandQueueCapacity { get; set; } = 16 * 1024;

    /// <summary>The most commands one turn of the command loop takes before handing them to the commit loop.</summary>
    public int MaxBatch { get; set; } = 1024;

    /// <summary>Rooms one person may be in at once.</summary>
    public int MaxRoomsPerPerson { get; set; } = 50;

    /// <summary>People one room may hold.</summary>
    public int MaxRoomMembers { get; set; } = 5_000;

    /// <summary>Accounts that are server operators while logged in (kill, server bans, lockdown, the whole audit log).</summary>
    public IReadOnlyCollection<string> OperatorAccounts { get; set; } = [];

    /// <summary>PBKDF2 iterations for new password hashes (each stored hash keeps its own count).</summary>
    public int PasswordIterations { get; set; } = Accounts.PasswordHasher.DefaultIterations;

    /// <summary>
    /// Logins and registrations that may wait for a hashing thread; more are refused as "busy" (see
    /// <see cref="Accounts.PasswordWorkers"/>).
    /// </summary>
    public int PasswordQueueLimit { get; set; } = 32;
    /// <summary>The shortest password a new account may have (the IRC conformance run sets it low: its passwords are short).</summary>
    public int MinPasswordLength { get; set; } = 8;

    /// <summary>Failed logins allowed per account, and per IP address, within <see cref="LoginWindow"/>.</summary>
    public int MaxLoginFailuresPerAccount { get; set; } = 5;
    public int MaxLoginFailuresPerAddress { get; set; } = 20;
    public TimeSpan LoginWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Start in lockdown: only accounts may sign in (an operator turns it off with /lockdown off).</summary>
    public bool Lockdown { get; set; }

    /// <summary>The server's name, as shown to people.</summary>
    public string ServerName { get; set; } = "grove";
}
