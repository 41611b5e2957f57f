using System.Net;

namespace Grove.Bench;

/// <summary>Entry points that `grove bench` calls after parsing its flags.</summary>
public static class BenchRunner
{
    public static IBenchProtocol Protocol(string door) => door.ToLowerInvariant() switch
    {
        "plain" => new PlainProtocol(),
        "irc" => new IrcProtocol(),
        "ws" or "web" => new WebSocketProtocol(),
        _ => throw new BenchException($"Unknown door \"{door}\". Use plain, irc or ws."),
    };

    public static IPEndPoint Resolve(string host, int port)
    {
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        if (host == "localhost") return new IPEndPoint(IPAddress.Loopback, port);
        throw new BenchException($"Use an IP address for --host (got \"{host}\").");
    }

    public static void RequireLoopback(IPEndPoint server)
    {
        if (!IPAddress.IsLoopback(server.Address))
            throw new BenchException("grove bench only drives servers on loopback (127.0.0.0/8 or ::1).");
    }

    public static async Task<int> PrintAsync(BenchResult result, bool jsonOnly, TextWriter output)
    {
        if (!jsonOnly) await output.WriteAsync(result.Summary());
        await output.WriteLineAsync(result.ToJson());
        return 0;
    }

    public static async Task<int> RunFanOutAsync(FanOutOptions options, bool jsonOnly, TextWriter output, CancellationToken ct)
    {
        if (!IPAddress.IsLoopback(options.Server.Address))
            throw new BenchException("grove bench only drives servers on loopback (127.0.0.0/8 or ::1).");
        var result = await new FanOutWorkload(options).RunAsync(ct);
        if (!jsonOnly) await output.WriteAsync(result.Summary());
        await output.WriteLineAsync(result.ToJson());
        return 0;
    }
}
