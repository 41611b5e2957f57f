namespace Grove.Client;

/// <summary>One HOST[:PORT] of a plain door that `grove connect` may use.</summary>
public sealed record ServerAddress(string Host, int Port)
{
    public const int DefaultPort = 6969;

    public static ServerAddress Default { get; } = new("127.0.0.1", DefaultPort);

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>HOST, HOST:PORT, [IPV6] or [IPV6]:PORT; a bare IPv6 address (several colons) is a host alone.</summary>
    public static bool TryParse(string text, out ServerAddress address)
    {
        address = Default;
        var host = text;
        var port = DefaultPort;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0) return false;
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !TryParsePort(rest[1..], out port))) return false;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':');
            host = text[..colon];
            if (!TryParsePort(text[(colon + 1)..], out port)) return false;
        }
        if (host.Length == 0 || host.Any(char.IsWhiteSpace)) return false;
        address = new ServerAddress(host, port);
        return true;
    }

    /// <summary>
    /// The addresses of a command line, in order: each argument, and each comma-separated part of one (empty parts,
    /// as a trailing comma leaves, are skipped). On failure <paramref name="bad"/> is the first part that is not one.
    /// </summary>
    public static bool TryParseList(IEnumerable<string> arguments, out List<ServerAddress> addresses, out string? bad)
    {
        addresses = [];
        bad = null;
        foreach (var argument in arguments)
        {
            var parts = argument.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                bad = argument;
                return false;
            }
            foreach (var part in parts)
            {
                if (!TryParse(part, out var address))
                {
                    bad = part;
                    return false;
                }
                addresses.Add(address);
            }
        }
        return true;
    }

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
}
