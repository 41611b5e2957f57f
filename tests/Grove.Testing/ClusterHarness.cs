using System.Diagnostics;

namespace Grove.Testing;

/// <summary>How a <see cref="ClusterHarness"/> starts.</summary>
public sealed record ClusterOptions
{
    /// <summary>A PostgreSQL of the cluster's own, which <see cref="ClusterHarness.StopPostgres"/> may stop (the shared one must stay up).</summary>
    public bool OwnPostgres { get; init; }

    /// <summary>--node-lost-after for every node; none leaves the default (10 s).</summary>
    public double? NodeLostAfter { get; init; }

    /// <summary>A database that exists already (one `grove migrate` filled) on <see cref="SharedPostgres"/>; none makes a new one.</summary>
    public string? Database { get; init; }

    /// <summary>More `grove serve` flags for every node.</summary>
    public string[] Extra { get; init; } = [];
}

/// <summary>
/// A Grove cluster on loopback (issue 24): a real PostgreSQL and N real `grove serve` processes on one database, node
/// K named "nK" with its own plain, IRC and web ports (port 0) and its own data folder and log file. Nodes can be
/// killed (kill -9), terminated (SIGTERM) and started again; PostgreSQL stopped and started on its port. Every wait is
/// bounded; <see cref="DisposeAsync"/> stops every node and the cluster's own PostgreSQL, whatever the test did.
/// </summary>
public sealed class ClusterHarness : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    private readonly ClusterOptions _options;
    private readonly PostgresServer _postgres;
    private readonly TempFolder _folder = new();
    private readonly ClusterNode?[] _nodes;

    private ClusterHarness(int nodes, ClusterOptions options)
    {
        _options = options;
        _nodes = new ClusterNode?[nodes];
        _postgres = options.OwnPostgres ? new PostgresServer() : SharedPostgres.Server;
        Database = options.Database ?? _postgres.NewDatabase();
    }

    /// <summary>The connection string every node is given (--postgres).</summary>
    public string Database { get; }
    public PostgresServer Postgres => _postgres;
    public int Count => _nodes.Length;

    /// <summary>Node <paramref name="index"/>, which must be running.</summary>
    public ClusterNode this[int index] => _nodes[index] ?? throw new InvalidOperationException($"node n{index} is not running");

    /// <summary>The node's name: n0, n1, …</summary>
    public static string NodeName(int index) => $"n{index}";

    /// <summary>Starts PostgreSQL (or takes the shared one) and <paramref name="nodes"/> nodes at once; returns when every one listens.</summary>
    public static async Task<ClusterHarness> StartAsync(int nodes, ClusterOptions? options = null)
    {
        var cluster = new ClusterHarness(nodes, options ?? new ClusterOptions());
        try
        {
            await Task.WhenAll(Enumerable.Range(0, nodes).Select(cluster.StartNodeAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts node <paramref name="index"/> (again: same name, data folder and log file, new ports) and waits until it
    /// listens on every door; with <paramref name="launcher"/>, through that command (as another machine: unshare --time).
    /// </summary>
    public Task<ClusterNode> StartNodeAsync(int index) => StartNodeAsync(index, null);

    public async Task<ClusterNode> StartNodeAsync(int index, IReadOnlyList<string>? launcher)
    {
        if (_nodes[index] is { } running && !running.Process.Process.HasExited)
            throw new InvalidOperationException($"node {running.Name} is running already");
        var name = NodeName(index);
        var folder = Path.Combine(_folder.Path, name);
        Directory.CreateDirectory(folder);
        var log = Path.Combine(folder, "log.txt");
        List<string> args = ["serve", "--store", "postgres", "--postgres", Database, "--node-name", name,
            "--port", "0", "--irc-port", "0", "--http-port", "0", "--flood-control", "false",
            "--data", Path.Combine(folder, "data"), "--log-file", log];
        if (_options.NodeLostAfter is { } lost) args.AddRange(["--node-lost-after", lost.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        args.AddRange(_options.Extra);
        var process = GroveProcess.Start([.. args], folder, launcher: launcher);
        _nodes[index] = null;
        GuardAgainstOrphan(process.Pid);
        try
        {
            var plain = await process.PlainEndPointAsync();
            var irc = await process.IrcEndPointAsync();
            var web = await process.WebEndPointAsync();
            return _nodes[index] = new ClusterNode(name, process, plain, irc, web, log);
        }
        catch (Exception ex)
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"node {name} did not start: {ex.Message}", ex);
        }
    }

    /// <summary>kill -9 of node <paramref name="index"/>, as a power cut would; returns once the process is gone.</summary>
    public async Task KillAsync(int index)
    {
        var node = this[index];
        node.Process.Signal("KILL");
        await node.Process.WaitForExitAsync(ExitTimeout);
        _nodes[index] = null;
        await node.Process.DisposeAsync();
    }

    /// <summary>SIGTERM of node <paramref name="index"/>; returns its exit code once it has exited.</summary>
    public async Task<int> TerminateAsync(int index)
    {
        var node = this[index];
        node.Process.Signal("TERM");
        try
        {
            return await node.Process.WaitForExitAsync(ExitTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"node {node.Name} did not exit within {ExitTimeout.TotalSeconds} s of SIGTERM. stdout: {node.Process.StdOut} stderr: {node.Process.StdErr}");
        }
        finally
        {
            _nodes[index] = null;
            await node.Process.DisposeAsync();
        }
    }

    /// <summary>Stops the cluster's own PostgreSQL (fast shutdown: every session is cut), as an outage.</summary>
    public void StopPostgres()
    {
        if (!_options.OwnPostgres) throw new InvalidOperationException("Only a cluster started with OwnPostgres may stop its PostgreSQL: the shared one serves other tests.");
        _postgres.Stop();
    }

    /// <summary>Starts it again on the same port and data folder; returns once it takes connections.</summary>
    public void StartPostgres()
    {
        if (!_options.OwnPostgres) throw new InvalidOperationException("Only a cluster started with OwnPostgres has a PostgreSQL of its own to start.");
        _postgres.Start();
    }

    /// <summary>Every running node's output, for a failure message.</summary>
    public string Output() => string.Join("\n", _nodes.Where(n => n is not null).Select(n => $"--- {n!.Name}\n{n.Process.StdOut}{n.Process.StdErr}"));

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (_nodes[i] is not { } node) continue;
            _nodes[i] = null;
            await node.Process.DisposeAsync();
        }
        if (_options.OwnPostgres) _postgres.Dispose();
        _folder.Dispose();
    }

    // A test host that dies (kill -9, a crash) would leave its nodes running forever on a machine others share: a
    // detached shell watches the test process and kills the node when it is gone.
    private static void GuardAgainstOrphan(int pid)
    {
        var watch = $"while [ -d /proc/{Environment.ProcessId} ]; do [ -d /proc/{pid} ] || exit 0; sleep 1; done; kill -9 {pid} 2>/dev/null";
        using var guard = Process.Start(new ProcessStartInfo("sh", ["-c", $"setsid sh -c '{watch}' </dev/null >/dev/null 2>&1 &"]) { UseShellExecute = false });
        guard?.WaitForExit();
    }
}
