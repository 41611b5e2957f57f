using System.Text;

namespace Grove.Bench;

/// <summary>How the generator speaks to one kind of door.</summary>
public interface IBenchProtocol
{
    string Door { get; }
    Task RegisterAsync(BenchConnection c, TimeSpan timeout);
    Task JoinAsync(BenchConnection c, string room, TimeSpan timeout);
    byte[] Message(string room, string payload);
    /// <summary>The text of a room message carried by this line, or empty when the line is something else.</summary>
    ReadOnlySpan<byte> DeliveryPayload(ReadOnlySpan<byte> line);
    /// <summary>A reply the client must send at once (IRC PING), or null.</summary>
    byte[]? AutoReply(ReadOnlySpan<byte> line);
    Task QuitAsync(BenchConnection c);
}

/// <summary>The plain text door: "name" then "/join #room"; deliveries are "name: text".</summary>
public sealed class PlainProtocol : IBenchProtocol
{
    public string Door => "plain";

    public async Task RegisterAsync(BenchConnection c, TimeSpan timeout)
    {
        await c.SendLineAsync(c.Name);
        var line = await c.ExpectAsync(l => l.StartsWith("* Welcome, ", StringComparison.Ordinal) || l.StartsWith("! ", StringComparison.Ordinal), "the welcome line", timeout);
        if (line.StartsWith("! ", StringComparison.Ordinal)) throw new BenchException($"{c.Name}: {line}");
    }

    public async Task JoinAsync(BenchConnection c, string room, TimeSpan timeout)
    {
        await c.SendLineAsync("/join " + room);
        await c.ExpectAsync(l => l.StartsWith("* You joined " + room, StringComparison.OrdinalIgnoreCase) || l.StartsWith("! You are already in", StringComparison.Ordinal), $"joining {room}", timeout);
    }

    public byte[] Message(string room, string payload) => Encoding.UTF8.GetBytes(payload + "\n");

    public ReadOnlySpan<byte> DeliveryPayload(ReadOnlySpan<byte> line)
    {
        var i = line.IndexOf(": "u8);
        return i < 0 ? default : line[(i + 2)..];
    }

    public byte[]? AutoReply(ReadOnlySpan<byte> line) => null;

    public Task QuitAsync(BenchConnection c) => c.SendLineAsync("/quit").AsTask();
}

/// <summary>Any IRC server (RFC 2812): NICK/USER, JOIN, PRIVMSG; PING is answered at once.</summary>
public sealed class IrcProtocol : IBenchProtocol
{
    public string Door => "irc";

    /// <summary>The numeric of a server reply (":server 001 nick …"), or null.</summary>
    private static string? Numeric(string line)
    {
        if (line.StartsWith('@')) line = line[(line.IndexOf(' ') + 1)..];
        var parts = line.Split(' ', 3);
        return parts.Length >= 2 && parts[0].StartsWith(':') && parts[1].Length == 3 && parts[1].All(char.IsAsciiDigit) ? parts[1] : null;
    }

    public async Task RegisterAsync(BenchConnection c, TimeSpan timeout)
    {
        await c.SendLineAsync($"NICK {c.Name}");
        await c.SendLineAsync($"USER {c.Name} 0 * :grove bench");
        var line = await c.ExpectAsync(l => Numeric(l) is "001" or "433" or "432" || l.StartsWith("ERROR", StringComparison.Ordinal), "RPL_WELCOME (001)", timeout);
        if (Numeric(line) != "001") throw new BenchException($"{c.Name}: {line}");
        // The rest of the welcome burst (ISUPPORT, LUSERS, MOTD) ends with 376 or 422.
        await c.ExpectAsync(l => Numeric(l) is "376" or "422", "the end of the MOTD", timeout);
    }

    public async Task JoinAsync(BenchConnection c, string room, TimeSpan timeout)
    {
        await c.SendLineAsync($"JOIN {room}");
        var line = await c.ExpectAsync(l => Numeric(l) is "366" or "403" or "405" or "471" or "473" or "474" or "475" or "477", $"joining {room}", timeout);
        if (Numeric(line) != "366") throw new BenchException($"{c.Name}: {line}");
    }

    public byte[] Message(string room, string payload) => Encoding.UTF8.GetBytes($"PRIVMSG {room} :{payload}\r\n");

    public ReadOnlySpan<byte> DeliveryPayload(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[0] == (byte)'@')
        {
            var sp = line.IndexOf((byte)' ');
            if (sp < 0) return default;
            line = line[(sp + 1)..];
        }
        var i = line.IndexOf(" PRIVMSG "u8);
        if (i < 0) return default;
        var rest = line[(i + 9)..];
        var colon = rest.IndexOf(" :"u8);
        return colon < 0 ? default : rest[(colon + 2)..];
    }

    public byte[]? AutoReply(ReadOnlySpan<byte> line) =>
        line.StartsWith("PING "u8) ? [.. "PONG "u8, .. line[5..], (byte)'\r', (byte)'\n'] : null;

    public Task QuitAsync(BenchConnection c) => c.SendLineAsync("QUIT :bench done").AsTask();
}

/// <summary>Grove's WebSocket door: JSON "hello", "join", "say"; deliveries are "message" objects.</summary>
public sealed class WebSocketProtocol : IBenchProtocol
{
    public string Door => "ws";

    public async Task RegisterAsync(BenchConnection c, TimeSpan timeout)
    {
        await c.SendLineAsync($$"""{"type":"hello","name":"{{c.Name}}"}""");
        var line = await c.ExpectAsync(l => l.Contains("\"type\":\"welcome\"", StringComparison.Ordinal) || l.Contains("\"type\":\"error\"", StringComparison.Ordinal), "welcome", timeout);
        if (line.Contains("\"error\"", StringComparison.Ordinal)) throw new BenchException($"{c.Name}: {line}");
    }

    public async Task JoinAsync(BenchConnection c, string room, TimeSpan timeout)
    {
        await c.SendLineAsync($$"""{"type":"join","room":"{{room}}"}""");
        await c.ExpectAsync(l => l.Contains("\"type\":\"joined\"", StringComparison.Ordinal) && l.Contains($"\"room\":\"{room}\"", StringComparison.OrdinalIgnoreCase)
                                 || l.Contains("already in", StringComparison.Ordinal), $"joining {room}", timeout);
    }

    public byte[] Message(string room, string payload) => Encoding.UTF8.GetBytes($$"""{"type":"say","room":"{{room}}","text":"{{payload}}"}""");

    public ReadOnlySpan<byte> DeliveryPayload(ReadOnlySpan<byte> line)
    {
        if (line.IndexOf("\"type\":\"message\""u8) < 0) return default;
        var i = line.IndexOf("\"text\":\""u8);
        if (i < 0) return default;
        var rest = line[(i + 8)..];
        var end = rest.IndexOf((byte)'"');
        return end < 0 ? default : rest[..end];
    }

    public byte[]? AutoReply(ReadOnlySpan<byte> line) => null;

    public Task QuitAsync(BenchConnection c) => c.SendLineAsync("""{"type":"quit"}""").AsTask();
}
