using System.CommandLine;
using System.Text;
using Grove.Core;
using Grove.Core.Accounts;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Server.Hosting;

namespace Grove.Cli;

/// <summary>
/// `grove account create NAME [--data FOLDER] [--config FILE]`: makes an account on the server's machine, the only
/// way to make a server operator's (a guest cannot register a name listed in --server-operators).
/// </summary>
internal static class AccountCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "the account's name, for example one listed in --server-operators" };
        var data = new Option<string?>("--data") { Description = "the server's data folder (default: its setting, else ./grove-data)", HelpName = "DATA" };
        var config = new Option<string?>("--config") { Description = "a settings file to read instead of ./appsettings.json", HelpName = "FILE" };
        var create = new Command("create", """
            Create an account in the data folder's store. The password is asked on the terminal, twice, and not shown
            as it is typed; when standard input is not a terminal, its first line is the password.
            The server reads accounts when it starts: run this while it is stopped, then start it.
            Exit codes: 0 created, 1 not created (the reason is printed).
            """)
        {
            name, data, config,
        };
        create.SetAction((p, ct) => CreateAsync(p.GetValue(name)!, p.GetValue(data), p.GetValue(config)));
        var account = new Command("account", "Manage accounts from the server's machine.");
        account.Subcommands.Add(create);
        return account;
    }

    private static async Task<int> CreateAsync(string name, string? data, string? configFile)
    {
        name = name.Trim();
        if (NameRules.ValidateName(name) is { } problem) return await FailAsync(problem);
        string folder;
        int minLength;
        GroveServerOptions options;
        try
        {
            var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (data is not null) flags["Data"] = data;
            options = ServeCommand.LoadOptions(flags, configFile);
            folder = Path.GetFullPath(options.Data);
            minLength = options.MinPasswordLength;
        }
        catch (GroveStartupException ex)
        {
            return await FailAsync(ex.Message);
        }
        var password = ReadPassword(name, out var why);
        if (password is null) return await FailAsync(why!);
        if (password.Length < minLength) return await FailAsync($"Choose a password of at least {minLength} characters.");
        if (password.Length > ChatServer.MaxPasswordLength) return await FailAsync($"A password may have at most {ChatServer.MaxPasswordLength} characters.");
        if (!PasswordHasher.IsAcceptable(password)) return await FailAsync("A password may not contain control characters.");
        var hash = PasswordHasher.Hash(password);
        try
        {
            // Opening the store fails with a sentence of its own when the folder is unusable or a server holds it; with
            // the setting Store = postgres (or GROVE_STORE), the account goes into that PostgreSQL database.
            using var store = Grove.Server.Store.StoreFactory.Open(options);
            if (options.UsesPostgres) folder = Grove.Server.Store.StoreFactory.Describe(store);
            var key = NameRules.Fold(name);
            if (store.LoadState().Accounts.Any(a => a.Key == key)) return await FailAsync($"An account called {name} already exists in {folder}.");
            var now = DateTimeOffset.UtcNow;
            var changes = new StoreChanges();
            changes.Accounts.Add(new StoredAccount(key, name, hash, now));
            changes.Audit.Add(new AuditEntry(now, name, "register-account", null, name, "on the server's machine (grove account create)"));
            // A data folder is locked by its server; a cluster's database is in use while any node's lease runs, which
            // the commit itself checks (under the join lock, so that no node starts in between).
            if (store is Grove.Server.Store.Postgres.PostgresMessageStore cluster)
            {
                if (cluster.CommitOutsideCluster(changes, TimeSpan.FromSeconds(options.NodeLostAfterSeconds)) is { } nowInUse)
                    return await FailAsync(nowInUse);
            }
            else store.CommitChanges(changes);
        }
        catch (StoreException ex)
        {
            return await FailAsync(ex.Message);
        }
        Console.WriteLine($"The account {name} is created in {folder}. A server started from now on knows it.");
        return 0;
    }

    private static async Task<int> FailAsync(string message)
    {
        await Console.Error.WriteLineAsync($"grove account: {message} No account was created.");
        return 1;
    }

    /// <summary>The password from the terminal (asked twice, never echoed), or the first line of redirected input.</summary>
    private static string? ReadPassword(string name, out string? why)
    {
        why = "No password was given.";
        if (Console.IsInputRedirected) return Console.In.ReadLine();
        var first = Prompt($"Password for {name}: ");
        if (first is null) return null;
        var again = Prompt("The same password again: ");
        if (again is null) return null;
        if (again == first) return first;
        why = "The two passwords differ.";
        return null;
    }

    private static string? Prompt(string text)
    {
        Console.Error.Write(text);
        var typed = new StringBuilder();
        while (true)
        {
            var k = Console.ReadKey(intercept: true);
            if (k.Key == ConsoleKey.Enter) break;
            if (k.Key == ConsoleKey.Backspace) { if (typed.Length > 0) typed.Length--; continue; }
            if (k.Key == ConsoleKey.D && k.Modifiers.HasFlag(ConsoleModifiers.Control)) { Console.Error.WriteLine(); return null; }
            if (!char.IsControl(k.KeyChar)) typed.Append(k.KeyChar);
        }
        Console.Error.WriteLine();
        return typed.ToString();
    }
}
