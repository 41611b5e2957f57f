using System.Text;
using Grove.Testing;
using Grove.Wire;

namespace Grove.Server.Tests.Hardening;

/// <summary>
/// Issue #20 items 2 and 7, reproduced exactly over real sockets: mode arguments from each door and client-only IRC
/// tags must reach nobody with a terminal escape, a line break of their own or a forged line.
/// </summary>
public sealed class InjectionIntegrationTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static void AssertNoControls(string line)
    {
        var bad = line.FirstOrDefault(c => TextRules.IsTerminalControl(c));
        Assert.True(bad == default, $"U+{(int)bad:X4} in: {line.Replace("\u001b", "<ESC>").Replace("\r", "<CR>")}");
    }

    [Fact]
    public async Task A_plain_mode_key_with_terminal_escapes_reaches_plain_users_without_them()
    {
        // "a room operator's /mode +k \x1b]0;PWNED\x07\x1b[2J… reaches plain-door users raw (title changed, screen cleared)"
        await using var op = await _server.JoinAsync("keyop");
        await op.SendAsync("/join #keyed");
        await op.ExpectAsync("^\\* You joined #keyed");
        await using var victim = await _server.JoinAsync("keyvictim");
        await victim.SendAsync("/join #keyed");
        await op.ExpectAsync("^\\* keyvictim joined");
        await op.SendAsync("/mode +k \u001b]0;PWNED\u0007\u001b[2Jsecret");
        var line = await victim.ExpectAsync("^\\* keyop sets mode \\+k");
        AssertNoControls(line);
        Assert.Equal("* keyop sets mode +k ]0;PWNED[2Jsecret on #keyed", line);
    }

    [Fact]
    public async Task A_web_command_with_crlf_cannot_forge_a_private_line_for_plain_users()
    {
        // {"type":"command","room":"#r","text":"/mode +k x\r\n[private]\x1b[Copadmin:…"} forged a whole [private] line.
        await using var ws = await WsClient.OpenAsync(_server.Http.Port);
        await ws.Send(new { type = "hello", name = "webop" });
        await ws.Expect("welcome");
        await ws.Send(new { type = "join", room = "#webr" });
        await ws.Expect("joined", "#webr"); // not the #lobby one that follows the welcome
        await using var victim = await _server.JoinAsync("webvictim");
        await victim.SendAsync("/join #webr");
        await ws.Expect("join", "#webr");
        await ws.Send(new { type = "command", room = "#webr", text = "/mode +k x\r\n[private]\u001b[Copadmin: send me your password" });
        var line = await victim.ExpectAsync("sets mode");
        AssertNoControls(line);
        Assert.StartsWith("* webop sets mode +k x  [private][Copadmin:", line);
        var rest = await victim.LinesUntilBarrierAsync();
        Assert.DoesNotContain(rest, l => l.StartsWith("[private]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_irc_ban_mask_with_a_lone_cr_and_esc_reaches_every_door_without_them()
    {
        // "from IRC MODE #r +b a\rb\x1b[2J!*@* passes a lone CR and ESC"
        await using var irc = await _server.IrcAsync("banop");
        await irc.SendAsync("JOIN #banr");
        await irc.ExpectAsync(" 366 ");
        await using var ircWatcher = await _server.IrcAsync("banwatch");
        await ircWatcher.SendAsync("JOIN #banr");
        await ircWatcher.ExpectAsync(" 366 ");
        await using var victim = await _server.JoinAsync("banvictim");
        await victim.SendAsync("/join #banr");
        await irc.ExpectAsync("^:banvictim!.* JOIN #banr");
        await irc.SendRawAsync(Encoding.UTF8.GetBytes("MODE #banr +b a\rb\u001b[2J!*@*\r\n"));
        var plainLine = await victim.ExpectAsync("sets mode \\+b");
        AssertNoControls(plainLine);
        var ircLine = await ircWatcher.ExpectAsync(" MODE #banr \\+b ");
        AssertNoControls(ircLine);
    }

    [Fact]
    public async Task A_client_only_tag_key_with_a_cr_is_dropped_and_tag_values_lose_nul_and_esc()
    {
        // "@+a=1;+z\rERROR PRIVMSG #c :x is relayed as …;+z\rERROR … to every member with message-tags"
        await using var sender = await LineClient.IrcWithCapsAsync(_server.Irc, "tagger", "message-tags");
        await using var reader = await LineClient.IrcWithCapsAsync(_server.Irc, "tagread", "message-tags");
        await sender.SendAsync("JOIN #c");
        await sender.ExpectAsync(" 366 ");
        await reader.SendAsync("JOIN #c");
        await reader.ExpectAsync(" 366 ");
        await sender.SendRawAsync(Encoding.UTF8.GetBytes("@+a=1;+z\rERROR PRIVMSG #c :x\r\n"));
        var line = await reader.ExpectAsync("PRIVMSG #c :x$");
        Assert.DoesNotContain('\r', line);
        Assert.Contains("+a=1", line);
        Assert.DoesNotContain("+z", line);
        Assert.DoesNotContain("ERROR", line);

        await sender.SendRawAsync(Encoding.UTF8.GetBytes("@+v=n\0u\u001b[2Jl\\r\\n;+example.com/k=a\\sb PRIVMSG #c :y\r\n"));
        line = await reader.ExpectAsync("PRIVMSG #c :y$");
        AssertNoControls(line);
        // Escaped per the spec on the way out: "\r" and "\n" stay escapes, the space is "\s"; NUL and ESC are gone.
        Assert.Contains("+v=nu[2Jl\\r\\n", line);
        Assert.Contains("+example.com/k=a\\sb", line);
    }
}
