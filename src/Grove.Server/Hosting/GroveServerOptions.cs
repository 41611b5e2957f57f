namespace Grove.Server.Hosting;

/// <summary>
/// Every setting of `grove serve`. Bound from appsettings.json, then GROVE_* environment variables, then flags
/// (later wins). docs/operations.md lists each one; keep the two in step.
/// </summary>
public sealed class GroveServerOptions
{
    /// <summary>Address the doors listen on. Loopback by default: opening to the network is a decision.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The plain text (netcat) door's port. 0 picks a free port.</summary>
    public int Port { get; set; } = 6969;

    /// <summary>The IRC door's port. 0 picks a free port; -1 turns the door off.</summary>
    public int IrcPort { get; set; } = 6667;

    /// <summary>The web door's HTTP port (browser client, WebSocket, API, metrics, status). -1 turns it off.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>
    /// Origins (scheme://host:port) besides the server's own that may open the WebSocket. Browsers send Origin, so
    /// another website cannot make a visitor's browser chat as them.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = new();

    /// <summary>
    /// Host names the web door answers to besides loopback names (localhost), IP addresses and <see cref="Host"/>,
    /// separated by commas (`chat.example.org`, `*.example.org`). A request naming any other host is refused, so a web
    /// page whose name was made to point at this server (DNS rebinding) cannot use the WebSocket, the API or /status.
    /// </summary>
    public string AllowedHosts { get; set; } = "";

    /// <summary>The largest WebSocket message accepted, in bytes; a larger one closes the socket (1009).</summary>
    public int MaxWebSocketMessageBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// The most frames (fragments) one WebSocket message may arrive in; more closes the socket (1008). Empty
    /// fragments cost no bytes, so without this an endless message of them would never be cut off.
    /// </summary>
    public int MaxWebSocketFragments { get; set; } = 64;

    /// <summary>Whether /status answers requests from other machines (default: loopback only).</summary>
    public bool StatusAllowRemote { get; set; }

    /// <summary>A PEM certificate (chain) for TLS; with <see cref="TlsKey"/> it turns on the TLS ports.</summary>
    public string? TlsCert { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCert"/>.</summary>
    public string? TlsKey { get; set; }

    /// <summary>The plain door over TLS, when a certificate is given.</summary>
    public int TlsPort { get; set; } = 6970;

    /// <summary>The IRC door over TLS, when a certificate is given.</summary>
    public int IrcTlsPort { get; set; } = 6697;

    /// <summary>The web door over HTTPS (and WSS), when a certificate is given.</summary>
    public int HttpsPort { get; set; } = 8443;

    /// <summary>The IRC network name (ISUPPORT NETWORK).</summary>
    public string NetworkName { get; set; } = "Grove";

    /// <summary>The server's description, as IRC's LINKS shows it ("&lt;hopcount&gt; &lt;server info&gt;").</summary>
    public string ServerDescription { get; set; } = "Grove chat server";

    /// <summary>The name IRC's LINKS gives Grove's built-in services (the Grove nick, accounts), shown as a linked server.</summary>
    public string ServicesName { get; set; } = "services.grove";

    /// <summary>The message of the day, shown on IRC registration and by MOTD; lines separated by \n.</summary>
    public string Motd { get; set; } = "Welcome to Grove.\nEveryone here shares rooms with netcat, IRC and browser users.\nPRIVMSG Grove :help lists Grove's own commands (bamboo, rooms, history).";

    /// <summary>
    /// Accounts that are server operators whenever they are logged in, separated by commas: kill, server-wide bans,
    /// lockdown and the whole audit log, on every door.
    /// </summary>
    public string ServerOperators { get; set; } = "";

    /// <summary>The shortest password a new account may have, in characters (default 8; at least 1).</summary>
    public int MinPasswordLength { get; set; } = 8;

    /// <summary>Start in lockdown: only registered accounts may sign in (a server operator switches it with /lockdown).</summary>
    public bool Lockdown { get; set; }

    /// <summary>IRC operators: name and password for OPER.</summary>
    public List<OperatorAccount> Operators { get; set; } = new();

    /// <summary>Seconds of silence from an IRC client before the server sends PING.</summary>
    public int PingIntervalSeconds { get; set; } = 90;

    /// <summary>Seconds to wait for any reply to that PING before closing with "ping timeout".</summary>
    public int PingTimeoutSeconds { get; set; } = 60;

    /// <summary>The data folder: the SQLite database lives here.</summary>
    public string Data { get; set; } = "grove-data";

    /// <summary>Where history, accounts and rooms are kept: sqlite (the data folder, the default) or postgres.</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>With Store postgres: the Npgsql connection string, "Host=…;Database=grove;Username=…;Password=…".</summary>
    public string? Postgres { get; set; }

    /// <summary>This node's name in PostgreSQL (its row in the nodes table, its connections' application_name).</summary>
    public string NodeName { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>In a cluster: seconds without a lease renewal before the other nodes count this one lost.</summary>
    public double NodeLostAfterSeconds { get; set; } = 10;

    /// <summary>True when the store is PostgreSQL.</summary>
    public bool UsesPostgres => string.Equals(Store, "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The log file; every line also goes to the console.</summary>
    public string LogFile { get; set; } = "server_log.txt";

    /// <summary>trace, debug, information, warning, error. At debug every message is logged.</summary>
    public string LogLevel { get; set; } = "information";

    /// <summary>Whether to log to the console as well as the file (tests turn it off).</summary>
    public bool ConsoleLog { get; set; } = true;

    /// <summary>The server's name, shown to people and used by the IRC door in every prefix.</summary>
    public string ServerName { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>The longest line the plain door accepts, in bytes (UTF-8); a longer one is refused with an error.</summary>
    public int MaxLineBytes { get; set; } = 4096;

    /// <summary>How many recent messages a join shows.</summary>
    public int HistoryOnJoin { get; set; } = 20;

    /// <summary>A connection's outbound queue limit in bytes; past it the connection is closed as a slow consumer.</summary>
    public long OutboxMaxBytes { get; set; } = 1024 * 1024;

    /// <summary>Flood control on every door: a token bucket per connection (see FloodBurst, FloodRate). Off only for benchmarks.</summary>
    public bool FloodControl { get; set; } = true;

    /// <summary>Lines a connection may send at once before it is slowed down.</summary>
    public int FloodBurst { get; set; } = 10;

    /// <summary>Lines per second a connection may keep sending after the burst; faster input waits.</summary>
    public double FloodRate { get; set; } = 2;

    /// <summary>How many seconds behind a flooding connection may fall before it is disconnected ("excess flood").</summary>
    public double FloodMaxDelaySeconds { get; set; } = 10;

    /// <summary>Connections the server accepts at once, all doors together; more are refused with a reason.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Connections from one IP address at once, all doors together.</summary>
    public int MaxConnectionsPerIp { get; set; } = 20;

    /// <summary>Whether the per-address limit applies to loopback (127.0.0.0/8, ::1) too; off by default.</summary>
    public bool LimitLoopback { get; set; }

    /// <summary>Seconds a connection may take to choose a name before it is closed ("registration timeout").</summary>
    public int RegistrationTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Seconds without any input after which a plain-door or web connection is closed ("idle timeout"); 0 turns it off
    /// (the default: people may sit quietly in a room). IRC connections have the ping timeout instead.
    /// </summary>
    public int IdleTimeoutSeconds { get; set; }

    /// <summary>
    /// Logins and registrations that may wait for a password-hashing worker (there are the cores minus one of them, at
    /// least one); past this they are refused with "the server is busy", so hashing never starves the rest.
    /// </summary>
    public int PasswordQueueLimit { get; set; } = 32;

    /// <summary>Rooms one person may be in at once (IRC CHANLIMIT).</summary>
    public int MaxRoomsPerPerson { get; set; } = 50;

    /// <summary>People one room may hold.</summary>
    public int MaxRoomMembers { get; set; } = 5_000;

    /// <summary>
    /// Start even when the start-up check (PRAGMA quick_check) finds the database damaged: the damage is logged as a
    /// warning and the server runs on it as it is (--repair). Without it, a damaged database refuses the start.
    /// </summary>
    public bool Repair { get; set; }

    /// <summary>Tests only: wraps the store (fault injection). Not a setting.</summary>
    internal Func<Grove.Core.History.IMessageStore, Grove.Core.History.IMessageStore>? WrapStore { get; set; }

    /// <summary>Tests only: the server's clock (a wall clock stepped back). Not a setting.</summary>
    internal TimeProvider? Time { get; set; }

    /// <summary>
    /// After at least this many connections have come or gone in a surge, and then a calm, the server compacts its
    /// heap once to give the memory back to the system (see <see cref="MemoryTrimmer"/>); 0 turns it off.
    /// </summary>
    public int MemoryTrimAfter { get; set; } = 1000;

    /// <summary>How long shutdown waits for clients to receive the shutdown notice before closing them anyway.</summary>
    public double ShutdownSeconds { get; set; } = 3;
}

/// <summary>A server operator account for IRC OPER.</summary>
public sealed class OperatorAccount
{
    public string Name { get; set; } = "";
    public string Password { get; set; } = "";
}

/// <summary>A start-up failure with a one-line message for a person (no stack trace).</summary>
public sealed class GroveStartupException(string message, Exception? inner = null) : Exception(message, inner);
