using Grove.Testing;

namespace Grove.Tests;

/// <summary>`grove serve --store postgres` as a person starts it: flags, GROVE_ variables, one-line refusals (issue 24).</summary>
public sealed class PostgresServeProcessTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private static string[] Serve(TempFolder folder, params string[] extra) =>
        ["serve", "--port", "0", "--irc-port", "0", "--http-port", "-1", "--data", Path.Combine(folder.Path, "data"), "--log-file", Path.Combine(folder.Path, "log.txt"), .. extra];

    [Fact]
    public async Task Serve_on_postgres_from_flags_and_from_GROVE_variables_says_where_the_data_is()
    {
        using var folder = new TempFolder();
        var database = SharedPostgres.NewDatabase();
        await using (var server = GroveProcess.Start(Serve(folder, "--store", "postgres", "--postgres", database, "--node-name", "north"), folder.Path))
        {
            await server.ExpectOutputAsync("data in PostgreSQL \\(database grove_\\w+ on 127\\.0\\.0\\.1:\\d+\\)");
            await using var alice = await LineClient.JoinAsync(await server.PlainEndPointAsync(), "alice");
            await alice.SendAsync("kept in postgres");
            await alice.LinesUntilBarrierAsync();
            server.Signal("TERM");
            Assert.Equal(0, await server.WaitForExitAsync(ExitTimeout));
        }
        Assert.Equal(1, Count(database, "SELECT count(*) FROM messages WHERE text = 'kept in postgres'"));
        Assert.Equal(1, Count(database, "SELECT count(*) FROM nodes WHERE name = 'north'"));

        var env = new Dictionary<string, string> { ["GROVE_STORE"] = "postgres", ["GROVE_POSTGRES"] = database, ["GROVE_NODENAME"] = "south" };
        await using (var server = GroveProcess.Start(Serve(folder), folder.Path, env))
        {
            await using var bob = await LineClient.JoinAsync(await server.PlainEndPointAsync(), "bob");
            await bob.ExpectAsync("^\\[history \\d\\d:\\d\\d\\] alice: kept in postgres$");
            server.Signal("TERM");
            Assert.Equal(0, await server.WaitForExitAsync(ExitTimeout));
        }
        Assert.Equal(1, Count(database, "SELECT count(*) FROM nodes WHERE name = 'south'"));

        // grove account create follows the same settings: the account goes into PostgreSQL.
        await using (var create = GroveProcess.Start(["account", "create", "root"], folder.Path, env, redirectInput: true))
        {
            await create.SendInputAsync("correct horse battery");
            create.CloseInput();
            Assert.Equal(0, await create.WaitForExitAsync(ExitTimeout));
            Assert.Matches("^The account root is created in PostgreSQL \\(database grove_\\w+ on 127\\.0\\.0\\.1:\\d+\\)\\.", create.StdOut);
        }
        Assert.Equal(1, Count(database, "SELECT count(*) FROM accounts WHERE key = 'root'"));
    }

    [Fact]
    public async Task Account_create_is_refused_while_a_node_runs_on_the_database_and_works_once_it_stopped()
    {
        using var folder = new TempFolder();
        var database = SharedPostgres.NewDatabase();
        var env = new Dictionary<string, string> { ["GROVE_STORE"] = "postgres", ["GROVE_POSTGRES"] = database };
        await using (var server = GroveProcess.Start(Serve(folder, "--node-name", "north"), folder.Path, env))
        {
            await server.PlainEndPointAsync();
            // The running node holds the accounts its epoch began with: it would not know this one.
            Assert.Equal((1, ""), await CreateRootAsync(folder, env));
            Assert.Matches("^grove account: 1 node is running on the database grove_\\w+ on 127\\.0\\.0\\.1:\\d+ \\(or stopped less than 10 s ago\\): stop every node first \\(SIGTERM\\), as a running cluster would not learn of the account\\. No account was created\\.$",
                _lastError);
            server.Signal("TERM");
            Assert.Equal(0, await server.WaitForExitAsync(ExitTimeout));
        }
        Assert.Equal(0, Count(database, "SELECT count(*) FROM accounts WHERE key = 'root'"));
        var (code, said) = await CreateRootAsync(folder, env);
        Assert.Equal(0, code);
        Assert.StartsWith("The account root is created in PostgreSQL", said);
        Assert.Equal(1, Count(database, "SELECT count(*) FROM accounts WHERE key = 'root'"));
    }

    private string _lastError = "";

    private async Task<(int Code, string Said)> CreateRootAsync(TempFolder folder, Dictionary<string, string> env)
    {
        await using var create = GroveProcess.Start(["account", "create", "root"], folder.Path, env, redirectInput: true);
        await create.SendInputAsync("correct horse battery");
        create.CloseInput();
        var code = await create.WaitForExitAsync(ExitTimeout);
        _lastError = create.StdErr.Trim();
        return (code, create.StdOut.Trim());
    }

    [Theory]
    [InlineData("unreachable", "grove: Cannot reach PostgreSQL (database grove on 127.0.0.1:{free}): connection refused. Is it running, and are Host and Port in --postgres right?")]
    [InlineData("no connection string", "grove: --store postgres needs --postgres \"Host=…;Database=grove;Username=…;Password=…\" (or the setting Postgres, or GROVE_POSTGRES).")]
    [InlineData("unknown store", "grove: --store must be sqlite or postgres (got \"mysql\").")]
    [InlineData("bad connection string", "grove: The PostgreSQL connection string is not valid: Couldn't set colour. Write it as \"Host=…;Database=grove;Username=…;Password=…\".")]
    [InlineData("lease of NaN seconds", "grove: --node-lost-after must be between 3 and 3600 seconds (got NaN).")]
    public async Task A_store_that_cannot_be_used_is_refused_in_one_line(string what, string expected)
    {
        using var folder = new TempFolder();
        var free = FreePort();
        string[] extra = what switch
        {
            "unreachable" => ["--store", "postgres", "--postgres", $"Host=127.0.0.1;Port={free};Database=grove;Username=x;Password=y"],
            "no connection string" => ["--store", "postgres"],
            "unknown store" => ["--store", "mysql"],
            // A database that works, so that nothing but the setting can stop the start.
            "lease of NaN seconds" => ["--store", "postgres", "--postgres", SharedPostgres.NewDatabase(), "--node-lost-after", "NaN"],
            _ => ["--store", "postgres", "--postgres", "Host=127.0.0.1;Colour=blue"],
        };
        await using var server = GroveProcess.Start(Serve(folder, extra), folder.Path);
        Assert.Equal(1, await server.WaitForExitAsync(ExitTimeout));
        Assert.Equal(expected.Replace("{free}", free.ToString()), server.StdErr.Trim());
    }

    private static long Count(string database, string sql)
    {
        using var c = new Npgsql.NpgsqlConnection(database);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand(sql, c);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
