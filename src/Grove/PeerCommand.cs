using System.CommandLine;
using System.Net.Sockets;
using Grove.Client.Peer;

namespace Grove.Cli;

/// <summary>`grove peer PORT`.</summary>
internal static class PeerCommand
{
    public static Command Create()
    {
        var port = new Argument<int>("port") { Description = "the port this peer listens on" };
        var command = new Command("peer", """
            A peer-to-peer chat shell: listens on PORT and reads commands from standard input:
            help, myip, myport, connect <destination> <port>, list, terminate <id>, send <id> <message>, exit.
            """) { port };
        command.SetAction(async (p, ct) =>
        {
            var n = p.GetValue(port);
            if (n is < 1 or > 65535)
            {
                await Console.Error.WriteLineAsync($"grove peer: {n} is not a valid port (1 to 65535).");
                return 2;
            }
            await using var node = new PeerNode(n, Console.Out);
            try
            {
                node.Start();
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                await Console.Error.WriteLineAsync($"grove peer: port {n} is already in use. Choose another port.");
                return 1;
            }
            return await node.RunAsync(Console.In);
        });
        return command;
    }
}
