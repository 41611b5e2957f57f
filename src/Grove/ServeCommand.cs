using System.CommandLine;
using Grove.Core.History;
using Grove.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Grove.Cli;

/// <summary>`grove serve`: flags, settings and running the server until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    // Each flag maps to a setting of GroveServerOptions; appsettings.json and GROVE_* variables use the same names.
    private static readonly (string Flag, string Key, string Help)[] Flags =
    [
        ("--host", "Host", "address the doors listen on (default 127.0.0.1)"),
        ("--port", "Port", "port of the plain text door (default 6969)"),
        ("--irc-port", "IrcPort", "port of the IRC door (default 6667; -1 turns it off)"),
        ("--http-port", "HttpPort", "port of the web door: browser client, WebSocket, API, metrics, status (default 8080; -1 turns it off)"),
        ("--tls-cert", "TlsCert", "PEM certificate: turns on TLS for the plain door (--tls-port), IRC (--irc-tls-port) and HTTPS/WSS (--https-port)"),
        ("--tls-key", "TlsKey", "PEM private key of --tls-cert"),
        ("--tls-port", "TlsPort", "plain door over TLS (default 6970)"),
        ("--irc-tls-port", "IrcTlsPort", "IRC door over TLS (default 6697)"),
        ("--https-port", "HttpsPort", "web door over HTTPS/WSS (default 8443)"),
        ("--data", "Data", "data folder for the SQLite database (default ./grove-data)"),
        ("--store", "Store", "where history, accounts and rooms are kept: sqlite (in --data, the default) or postgres (--postgres)"),
        ("--postgres", "Postgres", "with --store postgres: the connection string, \"Host=…;Database=grove;Username=…;Password=…\""),
        ("--node-name", "NodeName", "this node's name in the cluster (default: this machine's host name); nodes on one PostgreSQL are one server"),
        ("--node-lost-after", "NodeLostAfterSeconds", "in a cluster: seconds a node may go without renewing its lease before the others count it lost and its people leave (default 10)"),
        ("--log-file", "LogFile", "log file (default ./server_log.txt)"),
        ("--log-level", "LogLevel", "trace, debug, information, warning or error (default information; debug logs every message)"),
        ("--server-name", "ServerName", "the server's name, used in every IRC prefix and numeric (default: this machine's host name)"),
        ("--server-description", "ServerDescription", "the server's description shown by IRC LINKS (default \"Grove chat server\")"),
        ("--services-name", "ServicesName", "the name IRC LINKS gives Grove's built-in services (default services.grove)"),
        ("--network-name", "NetworkName", "the IRC network name (default Grove)"),
        ("--ping-interval", "PingIntervalSeconds", "seconds of silence before an IRC client is sent PING (default 90)"),
        ("--ping-timeout", "PingTimeoutSeconds", "seconds to wait for the answer before closing with \"ping timeout\" (default 60)"),
        ("--max-line-bytes", "MaxLineBytes", "longest line the plain door accepts, in bytes (default 4096)"),
        ("--history-on-join", "HistoryOnJoin", "how many recent messages a join shows (default 20)"),
        ("--outbox-max-bytes", "OutboxMaxBytes", "a client's outbound queue limit before it is cut off as a slow consumer (default 1048576)"),
        ("--flood-control", "FloodControl", "true or false: flood control on every door (default true; false only for benchmarks)"),
        ("--max-connections", "MaxConnections", "connections accepted at once, all doors together (default 10000)"),
        ("--max-connections-per-ip", "MaxConnectionsPerIp", "connections from one address at once (default 20; loopback exempt)"),
        ("--registration-timeout", "RegistrationTimeoutSeconds", "seconds a connection may take to choose a name (default 30)"),
        ("--idle-timeout", "IdleTimeoutSeconds", "seconds without input before a plain or web connection is closed (default 0: never)"),
        ("--memory-trim-after", "MemoryTrimAfter", "after this many connections came or went in a surge, then a calm, compact the heap once to give memory back (default 1000; 0: never)"),
        ("--password-queue-limit", "PasswordQueueLimit", "logins and registrations that may wait for password hashing; more are told the server is busy (default 32)"),
        ("--allowed-hosts", "AllowedHosts", "host names the web door answers to besides localhost, IP addresses and --host, comma-separated (chat.example.org, *.example.org)"),
        ("--server-operators", "ServerOperators", "accounts that are server operators when logged in, comma-separated (kill, server bans, lockdown, audit)"),
        ("--min-password-length", "MinPasswordLength", "the shortest password a new account may have (default 8)"),
        ("--lockdown", "Lockdown", "true or false: start with only registered accounts allowed to sign in (default false)"),
        ("--config", "", "a settings file to read instead of ./appsettings.json"),
    ];

    public static Command Create()
    {
        var command = new Command("serve", "Run the Grove server (plain text door; history in SQLite in the data folder, or in PostgreSQL).");
        var options = new List<(Option<string> Option, string Key)>();
        foreach (var (flag, key, help) in Flags)
        {
            var o = new Option<string>(flag) { Description = help, HelpName = key.Length == 0 ? "FILE" : key.ToUpperInvariant() };
            command.Options.Add(o);
            options.Add((o, key));
        }
        // A bare switch, not a FLAG VALUE pair: the setting Repair (true/false) does the same from a file or GROVE_REPAIR.
        var repair = new Option<bool>("--repair") { Description = "start even if the start-up check finds the database damaged: log the damage and run on it as it is (see docs/operations.md)" };
        command.Options.Add(repair);
        command.SetAction(async (parse, ct) =>
        {
            var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (parse.GetValue(repair)) flags["Repair"] = "true";
            string? configFile = null;
            foreach (var (o, key) in options)
            {
                var value = parse.GetValue(o);
                if (value is null) continue;
                if (key.Length == 0) configFile = value;
                else flags[key] = value;
            }
            return await RunAsync(flags, configFile, ct);
        });
        return command;
    }

    public static GroveServerOptions LoadOptions(IDictionary<string, string?> flags, string? configFile)
    {
        var file = configFile ?? Path.Combine(Environment.CurrentDirectory, "appsettings.json");
        if (configFile is not null && !File.Exists(configFile))
            throw new GroveStartupException($"The settings file {configFile} does not exist.");
        IConfigurationRoot config;
        try
        {
            config = new ConfigurationBuilder()
                .AddJsonFile(Path.GetFullPath(file), optional: true)
                .AddEnvironmentVariables("GROVE_")
                .AddInMemoryCollection(flags)
                .Build();
        }
        catch (InvalidDataException ex)
        {
            // A hand-edited settings file with a JSON mistake: where, not a stack trace.
            throw new GroveStartupException($"The settings file {file} is not valid JSON: {ex.GetBaseException().Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GroveStartupException($"Cannot read the settings file {file}: {ex.Message}");
        }
        var options = new GroveServerOptions();
        try
        {
            config.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new GroveStartupException(WrongKind(config, flags, file) ?? $"A setting has a value of the wrong kind: {ex.GetBaseException().Message}");
        }
        if (Directory.Exists(options.LogFile))
            throw new GroveStartupException($"--log-file {options.LogFile} is a folder; give a file, such as {Path.Combine(options.LogFile, "server_log.txt")}.");
        if (options.Port is < 0 or > 65535) throw new GroveStartupException($"--port must be between 0 and 65535 (got {options.Port}).");
        if (options.HttpPort is < -1 or > 65535) throw new GroveStartupException($"--http-port must be between 0 and 65535, or -1 for no web door (got {options.HttpPort}).");
        if (options.IrcPort is < -1 or > 65535) throw new GroveStartupException($"--irc-port must be between 0 and 65535, or -1 for no IRC door (got {options.IrcPort}).");
        if (!options.UsesPostgres && !string.Equals(options.Store, "sqlite", StringComparison.OrdinalIgnoreCase))
            throw new GroveStartupException($"--store must be sqlite or postgres (got \"{options.Store}\").");
        if (options.UsesPostgres && string.IsNullOrWhiteSpace(options.Postgres))
            throw new GroveStartupException("--store postgres needs --postgres \"Host=…;Database=grove;Username=…;Password=…\" (or the setting Postgres, or GROVE_POSTGRES).");
        if (!options.UsesPostgres && !string.IsNullOrWhiteSpace(options.Postgres))
            throw new GroveStartupException("--postgres is only used with --store postgres; add --store postgres to keep history in PostgreSQL.");
        if (string.IsNullOrWhiteSpace(options.NodeName)) throw new GroveStartupException("--node-name may not be empty.");
        // Settings with fractions, each checked as a range it must be in: NaN or an infinity passes a "below the least"
        // check, and crashed the start or the shutdown.
        foreach (var (said, value, least, most, unit) in new (string, double, double, double, string)[]
        {
            ("--node-lost-after", options.NodeLostAfterSeconds, 3, 3600, " seconds"), ("The setting ShutdownSeconds", options.ShutdownSeconds, 0, 3600, ""),
            ("The setting FloodRate", options.FloodRate, 0.01, 1_000_000, ""), ("The setting FloodMaxDelaySeconds", options.FloodMaxDelaySeconds, 0.01, 86_400, ""),
        })
        {
            if (!(value >= least && value <= most))
                throw new GroveStartupException($"{said} must be between {least} and {most:0}{unit} (got {value}).");
        }
        if (options.MinPasswordLength < 1) throw new GroveStartupException("--min-password-length must be at least 1.");
        if (options.MaxLineBytes < 16) throw new GroveStartupException("--max-line-bytes must be at least 16.");
        if (options.PasswordQueueLimit < 1) throw new GroveStartupException($"--password-queue-limit must be at least 1 (got {options.PasswordQueueLimit}).");
        // Out of range these broke the server quietly: a negative history count failed every sign-in, a zero outbox cut
        // every client off as a slow consumer.
        foreach (var (flag, value, least) in new (string, long, long)[]
        {
            ("--history-on-join", options.HistoryOnJoin, 0), ("--outbox-max-bytes", options.OutboxMaxBytes, 1024),
            ("--max-connections", options.MaxConnections, 1), ("--max-connections-per-ip", options.MaxConnectionsPerIp, 1),
            ("--ping-interval", options.PingIntervalSeconds, 1), ("--ping-timeout", options.PingTimeoutSeconds, 1),
            ("--registration-timeout", options.RegistrationTimeoutSeconds, 1), ("--idle-timeout", options.IdleTimeoutSeconds, 0),
            ("--memory-trim-after", options.MemoryTrimAfter, 0),
        })
        {
            if (value < least) throw new GroveStartupException($"{flag} must be at least {least} (got {value}).");
        }
        return options;
    }

    /// <summary>One line naming the setting that does not convert, where it came from, and its value.</summary>
    private static string? WrongKind(IConfiguration config, IDictionary<string, string?> flags, string file)
    {
        foreach (var property in typeof(GroveServerOptions).GetProperties())
        {
            var type = property.PropertyType;
            if (!(type.IsPrimitive || type.IsEnum || type == typeof(TimeSpan)) || config[property.Name] is not { } value) continue;
            try
            {
                System.ComponentModel.TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
                continue;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException)
            {
            }
            var kind = UsageErrors.Kind(type);
            if (flags.ContainsKey(property.Name))
            {
                var flag = Flags.First(f => string.Equals(f.Key, property.Name, StringComparison.OrdinalIgnoreCase)).Flag;
                return $"{flag} \"{value}\" is not {kind}.";
            }
            var variable = Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .FirstOrDefault(k => string.Equals(k, "GROVE_" + property.Name, StringComparison.OrdinalIgnoreCase));
            return variable is not null
                ? $"{variable}=\"{value}\" is not {kind}."
                : $"{property.Name} \"{value}\" in {file} is not {kind}.";
        }
        return null;
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> flags, string? configFile, CancellationToken ct)
    {
        GroveHost host;
        try
        {
            var options = LoadOptions(flags, configFile);
            host = await GroveHost.StartAsync(options, CancellationToken.None);
        }
        catch (Exception ex) when (ex is GroveStartupException or StoreException)
        {
            await Console.Error.WriteLineAsync($"grove: {ex.Message}");
            return 1;
        }
        await using (host)
        {
            // The host listens for Ctrl+C and SIGTERM itself and stops gracefully; then we return 0.
            await host.WaitForShutdownAsync(CancellationToken.None);
        }
        // 1 when the cluster counted this node lost and it stopped by itself (a service manager then starts it again).
        return Environment.ExitCode;
    }
}
