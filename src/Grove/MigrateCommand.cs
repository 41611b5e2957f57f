using System.CommandLine;
using Grove.Core.History;
using Grove.Server.Store;

namespace Grove.Cli;

/// <summary>`grove migrate --from DATA_FOLDER --to "Host=…"`: a stopped server's SQLite data into an empty PostgreSQL.</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "the data folder of a stopped Grove server (holding grove.db)", HelpName = "DATA_FOLDER", Required = true };
        var to = new Option<string>("--to") { Description = "the empty PostgreSQL database, \"Host=…;Database=grove;Username=…;Password=…\"", HelpName = "CONNECTION", Required = true };
        var command = new Command("migrate", """
            Copy a Grove server's SQLite data folder (history, accounts, rooms, registered rooms, bans, web session
            tokens, audit log) into an empty PostgreSQL database, in one transaction: all of it or nothing.
            Stop the server first. Then start it with --store postgres --postgres CONNECTION.
            Exit codes: 0 copied, 1 nothing copied (the reason is printed).
            """)
        {
            from, to,
        };
        command.SetAction(async (p, ct) =>
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var counts = await Task.Run(() => StoreMigrator.Copy(p.GetValue(from)!, p.GetValue(to)!), ct);
                Console.WriteLine($"Copied {counts} into PostgreSQL in {started.Elapsed.TotalSeconds:0.0} s.");
                Console.WriteLine("Start the server with: grove serve --store postgres --postgres \"…\" (the same connection string).");
                return 0;
            }
            catch (StoreException ex)
            {
                await Console.Error.WriteLineAsync($"grove migrate: {ex.Message} Nothing was copied.");
                return 1;
            }
        });
        return command;
    }
}
