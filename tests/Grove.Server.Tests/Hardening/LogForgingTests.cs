using System.Text;
using Grove.Server.Hosting;
using Grove.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grove.Server.Tests.Hardening;

/// <summary>
/// Issue #20 item 6: "A failed login name carries CR/LF into the log file … also through a SASL account name (ESC
/// kept) and a lone CR in plain /login. Every value from a client is escaped in log lines." Each reproduction runs
/// over a real socket and the real log file is read back.
/// </summary>
public sealed class LogForgingTests : IAsyncLifetime
{
    private const string Forged = "2026-12-03 07:00:00.000 [ERR] Grove.Forged: the disk is on fire";
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The log's lines, which must hold <paramref name="marker"/>.</summary>
    private async Task<string[]> LogWith(string marker)
    {
        // The entry is written (unbuffered) on the command loop before the reply the client has already seen.
        await using var stream = new FileStream(_server.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var text = await new StreamReader(stream).ReadToEndAsync();
        Assert.Contains(marker, text);
        return text.Split('\n');
    }

    private static void AssertClean(string[] lines)
    {
        Assert.DoesNotContain(lines, l => l.StartsWith("2026-12-03 07:00:00.000", StringComparison.Ordinal));
        foreach (var l in lines)
            Assert.False(l.TrimEnd('\r').Any(c => c < 0x20 && c != '\t' || c is >= '\u007f' and <= '\u009f'), $"control in log line: {l}");
    }

    [Fact]
    public async Task A_web_hello_name_with_crlf_does_not_forge_a_log_line()
    {
        await using var ws = await WsClient.OpenAsync(_server.Http.Port);
        await ws.Send(new { type = "hello", name = "webforge\r\n" + Forged, password = "whatever12" });
        await ws.Expect("error");
        var lines = await LogWith("webforge");
        AssertClean(lines);
        Assert.Contains(lines, l => l.Contains("Failed login for webforge\\r\\n" + Forged, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sasl_account_name_with_esc_is_escaped_in_the_log()
    {
        await using var irc = await LineClient.ConnectAsync(_server.Irc);
        await irc.SendAsync("CAP LS 302");
        await irc.SendAsync("NICK saslforge");
        await irc.SendAsync("USER s 0 * :S");
        await irc.SendAsync("CAP REQ :sasl");
        await irc.ExpectAsync("CAP \\* ACK :sasl");
        await irc.SendAsync("AUTHENTICATE PLAIN");
        await irc.ExpectAsync("^AUTHENTICATE \\+$");
        var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0saslacct\u001b]0;PWNED\u0007\u001b[2J\0whatever12"));
        await irc.SendAsync("AUTHENTICATE " + plain);
        await irc.ExpectAsync(" 904 ");
        var lines = await LogWith("saslacct");
        AssertClean(lines);
        Assert.Contains(lines, l => l.Contains("Failed login for saslacct\\x1B]0;PWNED\\x07\\x1B[2J", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_lone_cr_in_a_plain_login_name_is_escaped_in_the_log()
    {
        await using var c = await _server.JoinAsync("plainforge");
        await c.SendRawAsync(Encoding.UTF8.GetBytes("/login crforge\r" + Forged.Replace(' ', '_') + " whatever12\n"));
        await c.ExpectAsync("^! ");
        var lines = await LogWith("crforge");
        AssertClean(lines);
        Assert.Contains(lines, l => l.Contains("Failed login for crforge\\r2026-12-03_07", StringComparison.Ordinal));
    }

    [Fact]
    public void The_console_writes_one_escaped_line_per_entry()
    {
        var formatter = new EscapedConsoleFormatter();
        var writer = new StringWriter();
        var entry = new LogEntry<string>(LogLevel.Warning, "Grove.Test", new EventId(13), "Failed login for x\r\n" + Forged + "\u001b[2J",
            new InvalidOperationException("bad \u001b[2J\nvalue"), (s, _) => s);
        formatter.Write(entry, null, writer);
        var text = writer.ToString();
        Assert.EndsWith(Environment.NewLine, text);
        var line = text[..^Environment.NewLine.Length];
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\u001b', line);
        Assert.Contains("warn: Grove.Test[13] Failed login for x\\r\\n" + Forged + "\\x1B[2J", line);
        Assert.Contains("bad \\x1B[2J\\nvalue", line);
    }
}
