using System.Net;
using System.Net.Sockets;
using Grove.Core;
using Grove.Core.History;
using Grove.Server.Doors;
using Grove.Server.Doors.Irc;
using Grove.Server.Doors.Plain;
using Grove.Server.Doors.Web;
using Grove.Server.Store.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Hosting;

/// <summary>
/// One Grove server process: the chat core, its store and every door: the plain and IRC doors on Grove's own socket
/// transport, the web door and the TLS doors hosted by Kestrel.
/// Used by `grove serve` and, in-process on ephemeral ports, by the integration tests.
/// </summary>
public sealed partial class GroveHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private SocketDoorListener? _plain, _irc;
    private readonly ListenOptions? _http;
    private readonly ListenOptions? _plainTls, _ircTls, _https;
    private readonly IMessageStore _store;
    private readonly ConnectionWatchdog _watchdog;
    private readonly MemoryTrimmer _trimmer;
    private int _disposed;
    private bool _running;

    private GroveHost(WebApplication app, ListenOptions? http, IMessageStore store, GroveServerOptions options,
        (ListenOptions? Plain, ListenOptions? Irc, ListenOptions? Https) tls)
    {
        (_plainTls, _ircTls, _https) = tls;
        _app = app;
        _http = http;
        _watchdog = app.Services.GetRequiredService<ConnectionWatchdog>();
        _trimmer = app.Services.GetRequiredService<MemoryTrimmer>();
        _store = store;
        Options = options;
        Chat = app.Services.GetRequiredService<ChatServer>();
        Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Grove");
    }

    public GroveServerOptions Options { get; }
    public ChatServer Chat { get; }

    /// <summary>The host's services (tests reach the web door's renderer through them).</summary>
    internal IServiceProvider Services => _app.Services;
    public MemoryTrimmer Trimmer => _trimmer;
    public ILogger Logger { get; }

    /// <summary>Where the plain door listens (with the real port when 0 was asked for).</summary>
    public IPEndPoint PlainEndPoint => _plain!.EndPoint;

    /// <summary>The TLS listeners (null when no certificate is configured or the door is off).</summary>
    public IPEndPoint? PlainTlsEndPoint => _plainTls?.IPEndPoint;
    public IPEndPoint? IrcTlsEndPoint => _ircTls?.IPEndPoint;
    public IPEndPoint? HttpsEndPoint => _https?.IPEndPoint;

    /// <summary>Where the web door listens, or null when it is off.</summary>
    public IPEndPoint? HttpEndPoint => _http?.IPEndPoint;

    /// <summary>Where the IRC door listens, or null when it is off.</summary>
    public IPEndPoint? IrcEndPoint => _irc?.EndPoint;

    /// <summary>Completes when the host has been asked to stop (Ctrl+C, SIGTERM, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    /// <summary>Builds and starts the server. Throws <see cref="GroveStartupException"/> with a one-line reason.</summary>
    public static async Task<GroveHost> StartAsync(GroveServerOptions options, CancellationToken ct = default)
    {
        var address = ResolveHost(options.Host);
        var certificate = LoadCertificate(options); // before the store, whose lock on the data folder must not leak
        var store = OpenStore(options, out var sqlite);
        var where = sqlite is not null ? Path.GetFullPath(options.Data) : Grove.Server.Store.StoreFactory.Describe(store);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = "Grove",
        });
        var ring = new LogRing();
        GroveLogging.Configure(builder.Logging, options);
        builder.Logging.AddProvider(ring);
        builder.Services.AddSingleton(ring);
        builder.Services.AddSingleton<RateSampler>();
        builder.Services.AddSingleton<MetricsExporter>();
        builder.Services.AddSingleton<WebSocketDoor>();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownSeconds + 1));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(new ChatOptions
        {
            ServerName = options.ServerName,
            HistoryOnJoin = options.HistoryOnJoin,
            OutboxMaxBytes = options.OutboxMaxBytes,
            MaxRoomsPerPerson = options.MaxRoomsPerPerson,
            MaxRoomMembers = options.MaxRoomMembers,
            OperatorAccounts = options.ServerOperators.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Lockdown = options.Lockdown,
            PasswordQueueLimit = options.PasswordQueueLimit,
            MinPasswordLength = options.MinPasswordLength,
            NodeName = options.NodeName,
            NodeLostAfter = TimeSpan.FromSeconds(options.NodeLostAfterSeconds),
        });
        builder.Services.AddSingleton(new Grove.Core.Limits.FloodOptions
        {
            Enabled = options.FloodControl,
            Burst = options.FloodBurst,
            Rate = options.FloodRate,
            MaxDelaySeconds = options.FloodMaxDelaySeconds,
        });
        builder.Services.AddSingleton(options.Time ?? TimeProvider.System);
        var limiter = new ConnectionLimiter(options);
        builder.Services.AddSingleton(limiter);
        WebDoorListenerFactory.Wrap(builder.Services, limiter);
        builder.Services.AddSingleton<ChatServer>();
        builder.Services.AddSingleton<IChatCore>(sp => sp.GetRequiredService<ChatServer>()); // what the doors see of it
        builder.Services.AddSingleton<IrcServerInfo>();
        builder.Services.AddSingleton<ConnectionWatchdog>();
        builder.Services.AddSingleton<MemoryTrimmer>();

        ListenOptions? http = null, plainTls = null, ircTls = null, https = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            if (options.HttpPort >= 0)
                k.Listen(new WebDoorEndPoint(address, options.HttpPort), lo => http = lo);
            if (certificate is not null)
            {
                k.Listen(address, options.TlsPort, lo =>
                {
                    lo.UseHttps(certificate);
                    lo.UseConnectionHandler<PlainConnectionHandler>();
                    plainTls = lo;
                });
                if (options.IrcPort >= 0)
                    k.Listen(address, options.IrcTlsPort, lo =>
                    {
                        lo.UseHttps(certificate);
                        lo.UseConnectionHandler<IrcConnectionHandler>();
                        ircTls = lo;
                    });
                if (options.HttpPort >= 0)
                    k.Listen(address, options.HttpsPort, lo =>
                    {
                        lo.UseHttps(certificate);
                        WebSocketOverTls.Use(lo);
                        https = lo;
                    });
            }
        });

        if (options.HttpPort < 0 && certificate is null)
            builder.Services.AddSingleton<Microsoft.AspNetCore.Hosting.Server.IServer, NoServer>();
        var app = builder.Build();
        if (options.HttpPort >= 0) WebEndpoints.Map(app);
        var host = new GroveHost(app, http, store, options, (plainTls, ircTls, https));
        if (sqlite is not null)
        {
            Log.DatabaseChecked(host.Logger, sqlite.DatabasePath, sqlite.CheckTime.TotalMilliseconds);
            if (sqlite.Damage.Count > 0) Log.DatabaseDamaged(host.Logger, sqlite.DatabasePath, string.Join("; ", sqlite.Damage));
        }
        if (ReadReadiness.Shared is { } readiness) host.Chat.InputArriving = () => readiness.Handling;
        try
        {
            host.Chat.Start();
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex) when (sqlite is not null && ex.SqliteErrorCode is 11 or 26) // SQLITE_CORRUPT, SQLITE_NOTADB
        {
            await host.DisposeAsync();
            throw sqlite.DamagedAtStart(ex);
        }
        catch (StoreException)
        {
            // PostgreSQL went away between opening the store and reading what the server starts with.
            await host.DisposeAsync();
            throw;
        }
        foreach (var name in host.Chat.Options.OperatorAccounts)
            if (!host.Chat.IsRegisteredName(name)) Log.OperatorWithoutAccount(host.Logger, name, $"grove account create {name}");
        host._watchdog.Start();
        host._trimmer.Start();
        app.Lifetime.ApplicationStopping.Register(host.OnStopping);
        // Counted lost by the cluster, this node may not serve on: it stops (its service manager starts it again).
        host.Chat.Fenced += _ =>
        {
            Environment.ExitCode = 1;
            app.Lifetime.StopApplication();
        };
        try
        {
            // The plain-TCP doors run on Grove's own socket transport; Kestrel hosts the web door and the TLS doors.
            var plainDoor = ActivatorUtilities.CreateInstance<PlainConnectionHandler>(app.Services);
            host._plain = new SocketDoorListener(address, options.Port, "plain", "--port", plainDoor.ServeAsync, host.Logger, limiter);
            if (options.IrcPort >= 0)
            {
                var ircDoor = ActivatorUtilities.CreateInstance<IrcConnectionHandler>(app.Services);
                host._irc = new SocketDoorListener(address, options.IrcPort, "IRC", "--irc-port", ircDoor.ServeAsync, host.Logger, limiter);
            }
            await app.StartAsync(ct);
            host.FitOpenFileLimit(limiter);
        }
        catch (Exception ex)
        {
            await host.DisposeAsync();
            throw TranslateBindFailure(ex, options);
        }
        host._running = true;
        host._plain!.Start();
        host._irc?.Start();
        Log.Listening(host.Logger, "plain", host.PlainEndPoint.ToString(), $"nc {host.PlainEndPoint.Address} {host.PlainEndPoint.Port}");
        foreach (var (door, ep) in new[] { ("plain (TLS)", host.PlainTlsEndPoint), ("irc (TLS)", host.IrcTlsEndPoint), ("web (HTTPS)", host.HttpsEndPoint) })
            if (ep is not null) Log.Listening(host.Logger, door, ep.ToString(), door.StartsWith("web") ? $"https://{ep}/" : "a TLS client");
        if (host.HttpEndPoint is { } httpEp)
            Log.Listening(host.Logger, "web", httpEp.ToString(), $"a browser at http://{httpEp}/");
        if (host.IrcEndPoint is { } ircEp)
            Log.Listening(host.Logger, "irc", ircEp.ToString(), $"any IRC client, server {ircEp.Address} port {ircEp.Port}");
        Log.Reading(host.Logger, ReadReadiness.Shared is null ? "zero-byte receives" : "epoll");
        Log.Started(host.Logger, options.ServerName, where, Path.GetFullPath(options.LogFile));
        return host;
    }

    /// <summary>
    /// Lowers the connection limit to what the open-file limit leaves room for, once everything but the connections
    /// is open, and says so; refuses to start when not one connection would fit.
    /// </summary>
    private void FitOpenFileLimit(ConnectionLimiter limiter)
    {
        if (DescriptorBudget.Limit() is not { } limit || DescriptorBudget.Open() is not { } open) return;
        var sockets = DescriptorBudget.Fit(int.MaxValue, limit, open);
        var needed = open + DescriptorBudget.Reserve + Options.MaxConnections;
        if (sockets == 0)
            throw new GroveStartupException($"Open files are limited to {limit:N0} (ulimit -n) and {open:N0} are in use, which leaves no room for connections. Raise the limit to {needed:N0} (see \"Open files\" in docs/operations.md).");
        limiter.FitDescriptors(sockets);
        if (sockets < Options.MaxConnections) Log.FewerConnections(Logger, limit, open, sockets, Options.MaxConnections, needed);
    }

    /// <summary>Stops the server gracefully: everyone is told, history is committed, sockets close.</summary>
    public Task StopAsync() => _app.StopAsync();

    private void OnStopping()
    {
        if (!_running) return;
        Log.Stopping(Logger);
        foreach (var door in new[] { _plain, _irc })
            door?.StopAcceptingAsync().GetAwaiter().GetResult();
        try
        {
            // In a cluster the others carry on: the people of this node go to another one.
            var notice = Chat.IsCluster ? ChatServer.NodeRestartingText : "The server is shutting down. Goodbye!";
            Chat.ShutdownAsync(notice, TimeSpan.FromSeconds(Options.ShutdownSeconds)).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            // Connections that have not taken the notice by now are closed by Kestrel.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { await _app.StopAsync(); } catch (Exception) { /* already stopped or never started */ }
        foreach (var door in new[] { _plain, _irc })
        {
            if (door is null) continue;
            await door.StopAcceptingAsync();
            await door.CloseAllAsync(TimeSpan.FromSeconds(Options.ShutdownSeconds + 1));
        }
        await _watchdog.DisposeAsync();
        _trimmer.Dispose();
        await Chat.DisposeAsync();
        _store.Dispose();
        if (_running)
        {
            var m = Chat.Metrics;
            Log.StoreStats(Logger, Count(m.CommittedMessages, "message"), Count(m.Commits, "transaction"), m.CommitTime.TotalMilliseconds,
                m.CommittedMessages == 0 ? 0 : m.CommitTime.TotalMicroseconds / m.CommittedMessages, m.CommitP99().TotalMilliseconds);
            Log.Stopped(Logger);
        }
        await _app.DisposeAsync();
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2? LoadCertificate(GroveServerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.TlsCert) && string.IsNullOrWhiteSpace(options.TlsKey)) return null;
        if (string.IsNullOrWhiteSpace(options.TlsCert) || string.IsNullOrWhiteSpace(options.TlsKey))
            throw new GroveStartupException("TLS needs both --tls-cert and --tls-key (PEM files).");
        try
        {
            using var pem = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(options.TlsCert, options.TlsKey);
            // Re-import so the private key is usable by the TLS stack on every platform.
            return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
                pem.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new GroveStartupException($"Cannot use the TLS certificate {options.TlsCert} with the key {options.TlsKey}: {ex.Message}");
        }
    }

    private static IMessageStore OpenStore(GroveServerOptions options, out SqliteMessageStore? sqlite)
    {
        var store = Grove.Server.Store.StoreFactory.Open(options);
        sqlite = store as SqliteMessageStore;
        return options.WrapStore?.Invoke(store) ?? store;
    }

    private static IPAddress ResolveHost(string host)
    {
        if (host is "*" or "any") return IPAddress.Any;
        if (host == "localhost") return IPAddress.Loopback;
        if (IPAddress.TryParse(host, out var ip)) return ip;
        try
        {
            return Dns.GetHostAddresses(host).First(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6);
        }
        catch (Exception ex) when (ex is SocketException or InvalidOperationException or ArgumentException)
        {
            throw new GroveStartupException($"Cannot listen on host \"{host}\": it is not an address this machine knows. Use an IP address with --host.");
        }
    }

    private static Exception TranslateBindFailure(Exception ex, GroveServerOptions o)
    {
        var text = ex.ToString();
        var doors = new (string Door, int Port, string Flag)[] { ("plain", o.Port, "--port"), ("IRC", o.IrcPort, "--irc-port"), ("web", o.HttpPort, "--http-port"),
            ("plain TLS", o.TlsPort, "--tls-port"), ("IRC TLS", o.IrcTlsPort, "--irc-tls-port"), ("HTTPS", o.HttpsPort, "--https-port") };
        foreach (var (door, port, flag) in doors)
        {
            if (port <= 0 || !text.Contains($":{port}:", StringComparison.Ordinal) && !text.Contains($":{port} ", StringComparison.Ordinal)) continue;
            if (text.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                return new GroveStartupException($"Port {port} ({door} door) is already in use. Choose another port with {flag}, or stop the program using it.", ex);
            if (text.Contains("permission denied", StringComparison.OrdinalIgnoreCase) || text.Contains("access", StringComparison.OrdinalIgnoreCase))
                return new GroveStartupException($"Not allowed to listen on port {port} ({door} door). Choose a port above 1023 with {flag}.", ex);
        }
        if (text.Contains("Cannot assign requested address", StringComparison.OrdinalIgnoreCase))
            return new GroveStartupException($"Cannot listen on {o.Host}: it is not an address of this machine. Choose another with --host.", ex);
        return ex is GroveStartupException ? ex : new GroveStartupException($"The server could not start: {ex.GetBaseException().Message}", ex);
    }

    /// <summary>"1 message", "3 messages": for the log's summary lines.</summary>
    private static string Count(long n, string noun) => n == 1 ? $"1 {noun}" : $"{n:N0} {noun}s";

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Information, "The {Door} door listens on {EndPoint} (connect with: {Hint})")]
        public static partial void Listening(ILogger logger, string door, string endPoint, string hint);

        [LoggerMessage(1002, LogLevel.Information, "Grove server \"{ServerName}\" is running; data in {Data}, log in {LogFile}. Press Ctrl+C to stop.")]
        public static partial void Started(ILogger logger, string serverName, string data, string logFile);

        [LoggerMessage(1006, LogLevel.Debug, "The plain and IRC doors wait for input with {How}")]
        public static partial void Reading(ILogger logger, string how);

        [LoggerMessage(1003, LogLevel.Information, "Shutting down: telling every client and saving history")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(1005, LogLevel.Information, "The store committed {Messages} in {Commits}, busy {Millis:0} ms in all ({PerMessage:0.0} µs per message, commit p99 {P99:0.00} ms)")]
        public static partial void StoreStats(ILogger logger, string messages, string commits, double millis, double perMessage, double p99);

        [LoggerMessage(1007, LogLevel.Warning, "The server operator \"{Name}\" has no account yet (no one can register it from a door): create it on this machine with {Command}")]
        public static partial void OperatorWithoutAccount(ILogger logger, string name, string command);

        [LoggerMessage(1040, LogLevel.Debug, "The start-up check of {Path} (PRAGMA quick_check) took {Millis:0} ms")]
        public static partial void DatabaseChecked(ILogger logger, string path, double millis);

        [LoggerMessage(1041, LogLevel.Warning, "The database {Path} is damaged and runs as it is (--repair): {Problems}. Stop the server and recover it as docs/operations.md says")]
        public static partial void DatabaseDamaged(ILogger logger, string path, string problems);

        [LoggerMessage(1008, LogLevel.Warning, "Open files are limited to {Limit:N0} (ulimit -n) and {Open:N0} are in use: at most {Fit:N0} connections instead of {Wanted:N0}. Raise the limit to {Needed:N0} to serve them all (see \"Open files\" in docs/operations.md)")]
        public static partial void FewerConnections(ILogger logger, long limit, int open, int fit, int wanted, int needed);

        [LoggerMessage(1004, LogLevel.Information, "Stopped")]
        public static partial void Stopped(ILogger logger);
    }
}
