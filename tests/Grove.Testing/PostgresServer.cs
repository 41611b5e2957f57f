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
    private Process? _guard;

    public PostgresServer()
    {
        Bin = FindBinaries();
        _folder = Path.Combine(Path.GetTempPath(), "grove-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_folder);
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
        $"Host=127.0.0.1;Port={Port};Database={database};Username={User};Password={Password};Timeout=3";

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
        // The guard runs as postgres beside the postmaster. While the test process lives and the file "alive" is there,
        // it waits; then it stops the postmaster (fast shutdown) and deletes the folder, unless Stop asked for an outage
        // (the file "outage"). Dispose only deletes "alive", so the cleaning is done even if the test process dies then.
        File.WriteAllText(Path.Combine(_folder, "alive"), "");
        File.Delete(Path.Combine(_folder, "outage"));
        var script =
            $"cd \"{_folder}\"; \"{Path.Combine(Bin, "postgres")}\" -D data -p {Port} -k \"{_folder}\" -c listen_addresses=127.0.0.1 " +
            "-c fsync=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=16MB >> postgres.log 2>&1 & pm=$!\n" +
            $"while [ -d /proc/{Environment.ProcessId} ] && [ -f alive ] && kill -0 $pm 2>/dev/null; do sleep 0.2; done\n" +
            "[ -f outage ] && exit 0\n" +
            $"kill -INT $pm 2>/dev/null; wait $pm; cd /; rm -rf \"{_folder}\"\n";
        _guard = Process.Start(AsPostgresInfo("sh", "-c", script))!;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
                c.Open();
                return;
            }
            catch (NpgsqlException) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !_guard.HasExited)
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
        File.WriteAllText(Path.Combine(_folder, "outage"), "");
        AsPostgres(Path.Combine(Bin, "pg_ctl"), "stop", "-D", DataFolder, "-m", "fast", "-w", "-t", "30");
        _guard?.WaitForExit(10_000);
        _guard?.Dispose();
        _guard = null;
    }

    public string Log() => File.Exists(Path.Combine(_folder, "postgres.log")) ? File.ReadAllText(Path.Combine(_folder, "postgres.log")) : "";

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        File.Delete(Path.Combine(_folder, "alive"));
        if (_guard is not null && !_guard.WaitForExit(15_000)) _guard.Kill(entireProcessTree: true);
        _guard?.Dispose();
        _guard = null;
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
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
