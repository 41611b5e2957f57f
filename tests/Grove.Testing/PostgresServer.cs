using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Grove.Testing;

/// <summary>
/// A real PostgreSQL 15 of the test's own: initdb into a temporary folder as the postgres user (root may not run
/// it), a free loopback port, its unix socket in that folder. <see cref="Dispose"/> stops it and deletes the folder;
/// if the test process dies first, a guard shell beside the postmaster sees it gone, stops the postmaster and
/// deletes the folder itself. <see cref="Stop"/> and <see cref="Start"/> take it away and bring it back (outages).
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string User = "postgres";
    public const string Password = "grove-test-pw";
    private static int s_databases;

    private readonly string _folder;
    private int _starts;

    public PostgresServer()
    {
        Bin = FindBinaries();
        SweepLeftovers();
        _folder = Path.Combine(Path.GetTempPath(), "grove-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "owner"), Environment.ProcessId.ToString());
        File.WriteAllText(Path.Combine(_folder, "pw"), Password);
        if (IsRoot) Run(new ProcessStartInfo("chown", ["-R", User, _folder]));
        AsPostgres(Path.Combine(Bin, "initdb"), "-D", DataFolder, "-U", User, "--pwfile", Path.Combine(_folder, "pw"),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
        Port = FreePort();
        Start();
    }

    /// <summary>The folder of pg_ctl, initdb and postgres: /usr/lib/postgresql/15/bin, or the PATH.</summary>
    public string Bin { get; }
    public int Port { get; private set; }
    private string DataFolder => Path.Combine(_folder, "data");

    /// <summary>The connection string of one database (the maintenance database "postgres" when none).</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username={User};Password={Password};Timeout=10";

    /// <summary>A new empty database for one test.</summary>
    public string NewDatabase()
    {
        var name = $"grove_{Environment.ProcessId}_{Interlocked.Increment(ref s_databases)}";
        using var c = new NpgsqlConnection(ConnectionString());
        c.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
        cmd.ExecuteNonQuery();
        return ConnectionString(name);
    }

    /// <summary>Starts the postmaster (again, on the same port) and waits until it takes connections.</summary>
    public void Start()
    {
        // The guard runs as postgres beside the postmaster, detached from the test process (a test runner that kills
        // a crashed test host's process tree must not kill it half-way). While the test process lives and the file
        // "alive" is there, it waits; then it stops the postmaster (fast shutdown) and deletes the folder, unless Stop
        // asked for an outage (the file "outage.N" of its own start). Dispose only deletes "alive".
        var generation = ++_starts;
        File.WriteAllText(Path.Combine(_folder, "alive"), "");
        var guard =
            $"cd \"{_folder}\"; \"{Path.Combine(Bin, "postgres")}\" -D data -p {Port} -k \"{_folder}\" -c listen_addresses=127.0.0.1 " +
            "-c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=16MB >> postgres.log 2>&1 & pm=$!\n" +
            $"while [ -d /proc/{Environment.ProcessId} ] && [ -f alive ] && kill -0 $pm 2>/dev/null; do sleep 0.2; done\n" +
            $"[ -f outage.{generation} ] && exit 0\n" +
            $"kill -INT $pm 2>/dev/null; while kill -0 $pm 2>/dev/null; do sleep 0.1; done; cd /; rm -rf \"{_folder}\"\n";
        File.WriteAllText(Path.Combine(_folder, $"guard.{generation}.sh"), guard);
        Run(AsPostgresInfo("sh", "-c", $"setsid sh \"{_folder}/guard.{generation}.sh\" </dev/null >/dev/null 2>&1 &"));
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
                c.Open();
                return;
            }
            catch (NpgsqlException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                // Still starting: the next try waits on the connect itself.
                Thread.Sleep(50);
            }
            catch (NpgsqlException ex)
            {
                throw new InvalidOperationException($"PostgreSQL did not start: {ex.Message}\n{Log()}");
            }
        }
    }

    /// <summary>Stops the postmaster at once (fast shutdown: sessions are cut), as an outage.</summary>
    public void Stop()
    {
        File.WriteAllText(Path.Combine(_folder, $"outage.{_starts}"), "");
        AsPostgres(Path.Combine(Bin, "pg_ctl"), "stop", "-D", DataFolder, "-m", "fast", "-w", "-t", "30");
    }

    /// <summary>The postmaster's process id (its backends are its children), from its pid file.</summary>
    public int PostmasterPid => int.Parse(File.ReadLines(Path.Combine(DataFolder, "postmaster.pid")).First());

    public string Log() => File.Exists(Path.Combine(_folder, "postgres.log")) ? File.ReadAllText(Path.Combine(_folder, "postgres.log")) : "";

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        File.Delete(Path.Combine(_folder, "alive"));
        // The guard stops the postmaster and deletes the folder; waited for, so that no test leaves one running.
        var waited = Stopwatch.StartNew();
        while (Directory.Exists(DataFolder) && File.Exists(Path.Combine(DataFolder, "postmaster.pid")) && waited.Elapsed < TimeSpan.FromSeconds(15))
            Thread.Sleep(50);
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // A test process killed while its PostgreSQL was stopped for an outage leaves a folder no guard watches: deleted
    // by the next one when its owner is gone and no postmaster runs in it.
    private static void SweepLeftovers()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), "grove-pg-*"))
        {
            try
            {
                var owner = File.ReadAllText(Path.Combine(dir, "owner")).Trim();
                if (Directory.Exists($"/proc/{owner}") || File.Exists(Path.Combine(dir, "data", "postmaster.pid"))) continue;
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another's, still starting, or being deleted by its guard.
            }
        }
    }

    private static string FindBinaries()
    {
        foreach (var dir in new[] { "/usr/lib/postgresql/15/bin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "postgres"))) return dir;
        throw new InvalidOperationException("PostgreSQL 15 is not installed (no initdb): apt-get install postgresql (scripts/test.sh does it).");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool IsRoot => Environment.UserName == "root";

    // Root may not run PostgreSQL: as root, everything runs as the postgres user (the package creates it).
    private static ProcessStartInfo AsPostgresInfo(string program, params string[] args) =>
        IsRoot ? new ProcessStartInfo("runuser", ["-u", User, "--", program, .. args]) : new ProcessStartInfo(program, args);

    private static void AsPostgres(string program, params string[] args) => Run(AsPostgresInfo(program, args));

    /// <summary>Runs a program to its end and throws with its output when it fails.</summary>
    private static void Run(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(info.FileName)} {string.Join(' ', info.ArgumentList)} failed: {error}{output.Result}");
    }
}

/// <summary>
/// One PostgreSQL for every test of a test process that only needs a database of its own (outage tests start their
/// own server): started on first use, stopped when the process exits (or by its guard, if the process is killed).
/// </summary>
public static class SharedPostgres
{
    private static readonly Lazy<PostgresServer> s_server = new(() =>
    {
        var server = new PostgresServer();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    });

    public static PostgresServer Server => s_server.Value;

    public static string NewDatabase() => Server.NewDatabase();
}
