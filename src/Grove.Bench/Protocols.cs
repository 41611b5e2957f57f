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
