using System.CommandLine;
using Grove.Bench;

namespace Grove.Cli;

/// <summary>`grove bench …`: the load generator's workloads.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Drive a Grove door (or another IRC server) with load and report throughput, latency and CPU.");
        bench.Subcommands.Add(FanOut());
        bench.Subcommands.Add(Idle());
        bench.Subcommands.Add(Churn());
        return bench;
    }

    private sealed record Common(Option<string> Door, Option<string> Host, Option<int> Port, Option<int?> Pid, Option<bool> Json);

    private static Common AddCommon(Command c)
    {
        var common = new Common(
            new Option<string>("--door") { Description = "plain, irc (any IRC server) or ws", DefaultValueFactory = _ => "plain" },
            new Option<string>("--host") { Description = "server address, loopback only", DefaultValueFactory = _ => "127.0.0.1" },
            new Option<int>("--port") { Description = "server port", DefaultValueFactory = _ => 6969 },
            new Option<int?>("--server-pid") { Description = "the server's process id, to report its CPU and memory" },
            new Option<bool>("--json") { Description = "print only the JSON line" });
        c.Options.Add(common.Door);
        c.Options.Add(common.Host);
        c.Options.Add(common.Port);
        c.Options.Add(common.Pid);
        c.Options.Add(common.Json);
        return common;
    }

    private static async Task<int> Guard(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception ex) when (ex is BenchException or System.Net.Sockets.SocketException or System.Net.WebSockets.WebSocketException)
        {
            await Console.Error.WriteLineAsync($"grove bench: {(ex is BenchException ? ex.Message : $"cannot reach the server: {ex.Message}")}");
            return 2;
        }
    }

    private static Command Idle()
    {
        var connections = new Option<int>("--connections", "-n") { Description = "connections to hold", DefaultValueFactory = _ => 1000 };
        var hold = new Option<double>("--hold") { Description = "seconds to hold them after registering", DefaultValueFactory = _ => 5 };
        var command = new Command("idle", "Hold N registered connections (from 127.0.0.1 to 127.0.0.9) and report the server's memory per connection.") { connections, hold };
        var c = AddCommon(command);
        command.SetAction(async (p, ct) => await Guard(async () =>
        {
            var server = BenchRunner.Resolve(p.GetValue(c.Host)!, p.GetValue(c.Port));
            BenchRunner.RequireLoopback(server);
            var result = await new IdleWorkload(new IdleOptions(server, BenchRunner.Protocol(p.GetValue(c.Door)!), Math.Max(1, p.GetValue(connections)),
                TimeSpan.FromSeconds(p.GetValue(hold)), p.GetValue(c.Pid))).RunAsync(ct);
            return await BenchRunner.PrintAsync(result, p.GetValue(c.Json), Console.Out);
        }));
        return command;
    }

    private static Command Churn()
    {
        var loops = new Option<int>("--concurrency", "-c") { Description = "loops running at once", DefaultValueFactory = _ => 20 };
        var duration = new Option<double>("--duration", "-d") { Description = "seconds", DefaultValueFactory = _ => 10 };
        var room = new Option<string>("--room") { Description = "room to join", DefaultValueFactory = _ => "#churn" };
        var command = new Command("churn", "Connect, register, join and quit in a loop; report cycles per second.") { loops, duration, room };
        var c = AddCommon(command);
        command.SetAction(async (p, ct) => await Guard(async () =>
        {
            var server = BenchRunner.Resolve(p.GetValue(c.Host)!, p.GetValue(c.Port));
            BenchRunner.RequireLoopback(server);
            var result = await new ChurnWorkload(new ChurnOptions(server, BenchRunner.Protocol(p.GetValue(c.Door)!), TimeSpan.FromSeconds(p.GetValue(duration)),
                Math.Max(1, p.GetValue(loops)), p.GetValue(c.Pid), p.GetValue(room)!)).RunAsync(ct);
            return await BenchRunner.PrintAsync(result, p.GetValue(c.Json), Console.Out);
        }));
        return command;
    }

    private static Command FanOut()
    {
        var door = new Option<string>("--door") { Description = "plain, irc (any IRC server) or ws", DefaultValueFactory = _ => "plain" };
        var host = new Option<string>("--host") { Description = "server address, loopback only", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<string>("--port") { Description = "server port; a cluster's nodes as a list (7001,7002,7003): the senders connect to the first, the other clients take turns over all", DefaultValueFactory = _ => "6969" };
        var clients = new Option<int>("--clients", "-n") { Description = "clients in the room", DefaultValueFactory = _ => 200 };
        var senders = new Option<int>("--senders", "-s") { Description = "how many of them send", DefaultValueFactory = _ => 10 };
        var duration = new Option<double>("--duration", "-d") { Description = "seconds of sending", DefaultValueFactory = _ => 10 };
        var window = new Option<int>("--window") { Description = "messages per sender not yet received by everyone", DefaultValueFactory = _ => 32 };
        var rate = new Option<double>("--rate") { Description = "fixed total messages per second; 0 = as fast as the window allows", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--size") { Description = "message size in bytes", DefaultValueFactory = _ => 64 };
        var pid = new Option<string?>("--server-pid") { Description = "the server's process id, to report its CPU and memory; a cluster's nodes as a list (1201,1202,1203)" };
        var postgresPid = new Option<string?>("--postgres-pid") { Description = "PostgreSQL's postmaster process id: its CPU and its backends' count with the servers' (the whole cluster)" };
        var room = new Option<string>("--room") { Description = "room to use", DefaultValueFactory = _ => "#bench" };
        var rooms = new Option<int>("--rooms") { Description = "deal the clients into this many rooms (ROOM-1, ROOM-2, …), each with its own senders", DefaultValueFactory = _ => 1 };
        var quickAck = new Option<bool>("--quick-ack") { Description = "acknowledge every read at once (TCP_QUICKACK)" };
        var json = new Option<bool>("--json") { Description = "print only the JSON line" };
        var stuck = new Option<int>("--stuck") { Description = "extra members that never read (slow consumers; plain and irc doors)", DefaultValueFactory = _ => 0 };
        var controlRoom = new Option<bool>("--control-room") { Description = "everyone also joins ROOM-control, without the stuck members; senders alternate between the rooms, and both are reported" };
        var command = new Command("fanout", "N clients in one room, S senders; every client counts what it receives.")
        {
            door, host, port, clients, senders, duration, window, rate, size, pid, postgresPid, room, rooms, quickAck, json, stuck, controlRoom,
        };
        command.SetAction(async (p, ct) =>
        {
            try
            {
                var n = p.GetValue(clients);
                var s = p.GetValue(senders);
                // Name the flags and values: a short run with -n 5 meets the default of 10 senders.
                if (n < 2) throw new BenchException($"--clients {n} is too few: a fan-out needs at least 2.");
                if (s < 1 || s > n) throw new BenchException($"--senders {s} does not fit --clients {n}: give 1 to {n} senders.");
                if (p.GetValue(controlRoom) && p.GetValue(door) == "plain")
                    throw new BenchException("--control-room needs a door where one person is in two rooms at once: --door irc or ws.");
                var r = p.GetValue(rooms);
                if (r < 1 || r > s || 2 * r > n)
                    throw new BenchException($"--rooms {r} does not fit --clients {n} and --senders {s}: each room needs a sender and two members, so give 1 to {Math.Min(s, n / 2)} rooms.");
                if (r > 1 && p.GetValue(controlRoom)) throw new BenchException("--rooms and --control-room do not go together: give one of them.");
                var nodes = BenchRunner.Numbers("--port", p.GetValue(port)!, "a port", "7001,7002,7003").Select(number => BenchRunner.Resolve(p.GetValue(host)!, number)).ToArray();
                var options = new FanOutOptions(nodes, BenchRunner.Protocol(p.GetValue(door)!),
                    n, s, TimeSpan.FromSeconds(p.GetValue(duration)), Math.Max(1, p.GetValue(window)), p.GetValue(rate), Math.Max(48, p.GetValue(size)),
                    BenchRunner.Numbers("--server-pid", p.GetValue(pid), "a process id", "1201,1202,1203"), p.GetValue(room)!, p.GetValue(quickAck))
                {
                    Stuck = Math.Max(0, p.GetValue(stuck)), ControlRoom = p.GetValue(controlRoom), Rooms = r,
                    PostgresPids = BenchRunner.Numbers("--postgres-pid", p.GetValue(postgresPid), "a process id", "1201,1202,1203"),
                };
                return await BenchRunner.RunFanOutAsync(options, p.GetValue(json), Console.Out, ct);
            }
            catch (Exception ex) when (ex is BenchException or System.Net.Sockets.SocketException)
            {
                await Console.Error.WriteLineAsync($"grove bench: {(ex is System.Net.Sockets.SocketException ? $"cannot reach the server: {ex.Message}" : ex.Message)}");
                return 2;
            }
        });
        return command;
    }
}
