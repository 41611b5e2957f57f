using System.CommandLine;
using Grove.Client;

namespace Grove.Cli;

/// <summary>`grove connect [HOST[:PORT] ...] [--name NAME] [--no-reconnect]`.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var address = new Argument<string[]>("address")
        {
            Description = "HOST[:PORT] of the plain door (default 127.0.0.1:6969); several (spaces or commas between) for the nodes of a cluster",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var name = new Option<string?>("--name", "-n") { Description = "your name (asked for when missing)" };
        var noReconnect = new Option<bool>("--no-reconnect") { Description = "exit when the connection is lost instead of reconnecting (to the next address first) for up to 30 s" };
        var command = new Command("connect", """
            Chat in the terminal: messages appear above the line you are typing.
            Keys: Enter sends; Left/Right/Home/End/Backspace/Delete edit; Up/Down go through what you typed;
            Ctrl+C or Ctrl+D leave. When standard input is not a terminal, it sends each input line, prints each
            received line, and leaves when the input ends. NO_COLOR turns colours off.
            Given several addresses (the nodes of a cluster), it connects to the first that answers; when the
            connection is lost it tries the next one first, then the others in turn, with the same name and room.
            In line mode a name the server refuses ends the client (exit code 3): every input line is a message.
            Exit codes: 0 left, 1 connection lost, 2 server not reachable or a wrong command line, 3 no name chosen.
            """)
        {
            address, name, noReconnect,
        };
        command.SetAction(async (p, ct) =>
        {
            var options = new ClientOptions
            {
                Name = p.GetValue(name), Reconnect = !p.GetValue(noReconnect), AskAgainForRefusedName = !Console.IsInputRedirected,
            };
            var given = p.GetValue(address) ?? [];
            // System.CommandLine hands an unknown flag to the addresses.
            if (given.FirstOrDefault(a => a.StartsWith('-')) is { } flag)
            {
                await Console.Error.WriteLineAsync(UsageErrors.Unknown("grove connect", flag) + " See grove connect --help for more.");
                return UsageErrors.ExitCode;
            }
            if (given.Length > 0)
            {
                if (!ServerAddress.TryParseList(given, out var servers, out var bad))
                {
                    await Console.Error.WriteLineAsync($"grove connect: \"{bad}\" is not HOST or HOST:PORT.");
                    return ExitCodes.Unreachable;
                }
                options.Servers = servers;
            }
            return Console.IsInputRedirected
                ? await LineMode.RunAsync(options, ct)
                : await InteractiveMode.RunAsync(options, ct);
        });
        return command;
    }
}
