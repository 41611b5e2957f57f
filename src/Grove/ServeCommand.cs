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
        ("--server-operators", "ServerOperators", "accounts that are server operators when logged in, comma-separated (kill, server bans, lockdown, audit)"),
        ("--min-password-length", "MinPasswordLength", "the shortest password a new account may have (default 8)"),
        ("--lockdown", "Lockdown", "true or false: start with only registered accounts allowed to sign in (default false)"),
        ("--config", "", "a settings file to read instead of ./appsettings.json"),
    ];

    public static Command Create()
    {
        var command = new Command("serve", "Run the Grove server (plain text door; SQLite history in the data folder).");
        var options = new List<(Option<string> Option, string Key)>();
        foreach (var (flag, key, help) in Flags)
        {
            var o = new Option<string>(flag) { Description = help, HelpName = key.Length == 0 ? "FILE" : key.ToUpperInvariant() };
            command.Options.Add(o);
            options.Add((o, key));
        }
        command.SetAction(async (parse, ct) =>
        {
            var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
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
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(file), optional: true)
            .AddEnvironmentVariables("GROVE_")
            .AddInMemoryCollection(flags)
            .Build();
        var options = new GroveServerOptions();
        try
        {
            config.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new GroveStartupException($"A setting has a value of the wrong kind: {ex.GetBaseException().Message}");
        }
        if (options.Port is < 0 or > 65535) throw new GroveStartupException($"--port must be between 0 and 65535 (got {options.Port}).");
        if (options.HttpPort is < -1 or > 65535) throw new GroveStartupException($"--http-port must be between 0 and 65535, or -1 for no web door (got {options.HttpPort}).");
        if (options.IrcPort is < -1 or > 65535) throw new GroveStartupException($"--irc-port must be between 0 and 65535, or -1 for no IRC door (got {options.IrcPort}).");
        if (options.MinPasswordLength < 1) throw new GroveStartupException("--min-password-length must be at least 1.");
        if (options.MaxLineBytes < 16) throw new GroveStartupException("--max-line-bytes must be at least 16.");
        return options;
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
        return 0;
    }
}
