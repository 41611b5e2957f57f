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

    /// <summary>
    /// A flag's list of whole numbers, "7001,7002,7003" (one is a list of one; none when not given), or a one-line
    /// refusal naming the flag and the value.
    /// </summary>
    public static int[] Numbers(string flag, string? value, string what, string example)
    {
        if (string.IsNullOrWhiteSpace(value)) return [];
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        var numbers = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out numbers[i]))
                throw new BenchException($"{flag} \"{value}\" is not {what} or a list of them such as {example}.");
        return numbers;
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
        if (!options.Nodes.All(n => IPAddress.IsLoopback(n.Address)))
            throw new BenchException("grove bench only drives servers on loopback (127.0.0.0/8 or ::1).");
        var result = await new FanOutWorkload(options).RunAsync(ct);
        if (!jsonOnly) await output.WriteAsync(result.Summary());
        await output.WriteLineAsync(result.ToJson());
        return 0;
    }
}
