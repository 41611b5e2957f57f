using System.Diagnostics;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>
/// Real IRC clients from Debian over real sockets, installed by scripts/test.sh: ii (a FIFO and file based client:
/// write lines to "in" files, read "out" files) registers, joins, talks with a plain-door person and quits;
/// WeeChat (weechat-headless) logs in to an account with SASL PLAIN.
/// </summary>
public sealed class RealIrcClientTests
{
    // Generous: each client is a process to start on two cores shared with the other test hosts.
    private static async Task WaitFor(Func<bool> condition, string what, int seconds = 30)
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

    [Fact]
    public async Task Weechat_logs_in_to_an_account_with_sasl_plain_and_chats_across_doors()
    {
        const string secret = "weechat-sasl-secret"; // no spaces: it goes on a WeeChat command line
        await using var server = await TestServer.StartAsync();
        using var folder = new TempFolder();
        await using (var owner = await server.JoinAsync("alice"))
        {
            await owner.SendAsync("/register " + secret);
            await owner.ExpectAsync("^\\* The name alice is now your account");
            await owner.SendAsync("/quit");
            await owner.ReadUntilClosedAsync(); // gone before WeeChat comes
        }
        await using var pat = await server.JoinAsync("pat");
        await using var bob = await server.IrcAsync("bob");

        var port = server.Irc.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var commands = string.Join(';',
            "/set logger.file.flush_delay 0",
            $"/server add grove 127.0.0.1/{port} -notls -sasl_mechanism=plain -sasl_username=alice -sasl_password={secret} " +
            "-sasl_fail=disconnect -nicks=alice -username=alice -realname=Alice -autojoin=#lobby",
            "/connect grove");
        var psi = new ProcessStartInfo("weechat-headless") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--dir", folder.Path, "--run-command", commands }) psi.ArgumentList.Add(a);
        using var weechat = Process.Start(psi)!;
        try
        {
            // WeeChat starts, connects and logs in with a password hash first.
            await pat.ExpectAsync("^\\* alice joined #lobby$", TimeSpan.FromSeconds(60));
            await bob.SendAsync("WHOIS alice");
            await bob.ExpectAsync(" 330 bob alice alice :is logged in as$");
            await pat.SendAsync("hello weechat, from netcat");
            var log = Path.Combine(folder.Path, "logs", "irc.grove.#lobby.weechatlog");
            await WaitFor(() => Read(log).Contains("hello weechat, from netcat"), "pat's line in WeeChat's channel log");
            Assert.Contains("SASL authentication successful", Read(Path.Combine(folder.Path, "logs", "irc.server.grove.weechatlog")));
        }
        finally
        {
            if (!weechat.HasExited) weechat.Kill();
        }
    }
}
