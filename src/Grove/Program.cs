using System.CommandLine;
using Grove.Cli;

var root = new RootCommand("Grove: a self-hosted chat server (plain text, IRC and web) and its clients.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ConnectCommand.Create());
root.Subcommands.Add(PeerCommand.Create());
root.Subcommands.Add(AccountCommand.Create());
root.Subcommands.Add(MigrateCommand.Create());
var parse = root.Parse(args);
return await UsageErrors.InvokeAsync(parse, new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
