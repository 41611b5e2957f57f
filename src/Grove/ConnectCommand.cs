using System.CommandLine;
using Grove.Client;

namespace Grove.Cli;

/// <summary>`grove connect [HOST[:PORT]] [--name NAME] [--no-reconnect]`.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var address = new Argument<string?>("address")
        {
            Description = "HOST[:PORT] of the plain door (default 127.0.0.1:6969)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var name = new Option<string?>("--name", "-n") { Description = "your name (asked for when missing)" };
        var noReconnect = new Option<bool>("--no-reconnect") { Description = "exit when the connection is lost instead of reconnecting for up to 30 s" };
        var command = new Command("connect", """
            Chat in the terminal: messages appear above the line you are typing.
            Keys: Enter sends; Left/Right/Home/End/Backspace/Delete edit; Up/Down go through what you typed;
            Ctrl+C or Ctrl+D leave. When standard input is not a terminal, it sends each input line, prints each
            received line, and leaves when the input ends. NO_COLOR turns colours off.
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
            if (p.GetValue(address) is { Length: > 0 } a)
            {
                // System.CommandLine hands an unknown flag to the optional address.
                if (a.StartsWith('-'))
                {
                    await Console.Error.WriteLineAsync(UsageErrors.Unknown("grove connect", a) + " See grove connect --help for more.");
                    return UsageErrors.ExitCode;
                }
                if (!TryParseAddress(a, options))
                {
                    await Console.Error.WriteLineAsync($"grove connect: \"{a}\" is not HOST or HOST:PORT.");
                    return ExitCodes.Unreachable;
                }
            }
            return Console.IsInputRedirected
                ? await LineMode.RunAsync(options, ct)
                : await InteractiveMode.RunAsync(options, ct);
        });
        return command;
    }

    internal static bool TryParseAddress(string text, ClientOptions options)
    {
        var host = text;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0) return false;
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':') || !int.TryParse(rest[1..], out var p6) || p6 is < 1 or > 65535) return false;
                options.Port = p6;
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':');
            host = text[..colon];
            if (!int.TryParse(text[(colon + 1)..], out var port) || port is < 1 or > 65535) return false;
            options.Port = port;
        }
        if (host.Length == 0) return false;
        options.Host = host;
        return true;
    }
}
