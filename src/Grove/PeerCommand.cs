using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Grove.Client.Peer;
using Grove.Client.Terminal;

namespace Grove.Cli;

/// <summary>`grove peer [--host ADDRESS] PORT`.</summary>
internal static class PeerCommand
{
    public static Command Create()
    {
        var port = new Argument<int>("port") { Description = "the port this peer listens on" };
        var host = new Option<string>("--host") { Description = "the address it listens on; 0.0.0.0 lets other machines connect", DefaultValueFactory = _ => "127.0.0.1" };
        var command = new Command("peer", """
            A peer-to-peer chat shell: listens on PORT and reads commands:
            help, myip, myport, connect <destination> <port>, list, terminate <id>, send <id> <message>, exit.
            In a terminal, messages appear above the line you are typing (Up/Down for history, Ctrl+U clears the line,
            Ctrl+C or Ctrl+D leave); otherwise it reads one command per input line.
            """) { port, host };
        command.SetAction(async (p, ct) =>
        {
            var n = p.GetValue(port);
            if (n is < 1 or > 65535)
            {
                await Console.Error.WriteLineAsync($"grove peer: {n} is not a valid port (1 to 65535).");
                return 2;
            }
            var address = p.GetValue(host)!;
            if (!IPAddress.TryParse(address, out var bind))
            {
                await Console.Error.WriteLineAsync($"grove peer: --host \"{address}\" is not an IP address (such as 127.0.0.1 or 0.0.0.0).");
                return 2;
            }
            var shell = Console.IsInputRedirected ? null : new TerminalShell("> ");
            await using var node = shell is null ? new PeerNode(n, Console.Out, bind) : new PeerNode(n, shell.Print, bind);
            try
            {
                node.Start();
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                await Console.Error.WriteLineAsync($"grove peer: port {n} is already in use. Choose another port.");
                return 1;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                await Console.Error.WriteLineAsync($"grove peer: --host {address} is not an address of this machine.");
                return 1;
            }
            return shell is null ? await node.RunAsync(Console.In) : await shell.RunAsync(() => node.RunAsync(shell.Input));
        });
        return command;
    }
}
