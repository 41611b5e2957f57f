using System.Diagnostics;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>
/// A real IRC client from Debian, ii (a FIFO and file based client: write lines to "in" files, read "out" files),
/// registers, joins, talks with a plain-door person over real sockets, and quits. scripts/test.sh installs it.
/// </summary>
public sealed class RealIrcClientTests
{
    private static async Task WaitFor(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"gave up waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    /// <summary>ii reads commands from a FIFO; opening it for writing waits until ii has it open for reading.</summary>
    private static async Task WriteFifo(string path, string line)
    {
        await using var fifo = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        await fifo.WriteAsync(bytes);
    }

    [Fact]
    public async Task Ii_registers_joins_talks_with_a_plain_door_person_and_quits()
    {
        await using var server = await TestServer.StartAsync();
        using var folder = new TempFolder();
        await using var pat = await server.JoinAsync("pat");

        var psi = new ProcessStartInfo("ii") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-s", "127.0.0.1", "-p", server.Irc.Port.ToString(), "-n", "iiuser", "-f", "ii Tester", "-i", folder.Path })
            psi.ArgumentList.Add(a);
        using var ii = Process.Start(psi)!;
        try
        {
            var serverDir = Path.Combine(folder.Path, "127.0.0.1");
            await WaitFor(() => File.Exists(Path.Combine(serverDir, "in")), "ii's server FIFO");
            await WaitFor(() => Read(Path.Combine(serverDir, "out")).Contains("Welcome to the Grove IRC Network"), "ii to be registered");

            await WriteFifo(Path.Combine(serverDir, "in"), "/j #lobby");
            await pat.ExpectAsync("^\\* iiuser joined #lobby$");
            var channelDir = Path.Combine(serverDir, "#lobby");
            await WaitFor(() => File.Exists(Path.Combine(channelDir, "in")), "ii's channel FIFO");

            await WriteFifo(Path.Combine(channelDir, "in"), "hello from a real IRC client 🎉");
            await pat.ExpectAsync("^iiuser: hello from a real IRC client 🎉$");
            await pat.SendAsync("hi ii, this is netcat");
            await WaitFor(() => Read(Path.Combine(channelDir, "out")).Contains("<pat> hi ii, this is netcat"), "pat's line in ii's channel log");

            await WriteFifo(Path.Combine(serverDir, "in"), "/q done testing");
            await pat.ExpectAsync("^\\* iiuser left \\(done testing\\)$");
            Assert.True(ii.WaitForExit(10_000), "ii did not exit after /q");
        }
        finally
        {
            if (!ii.HasExited) ii.Kill();
        }
    }
}
