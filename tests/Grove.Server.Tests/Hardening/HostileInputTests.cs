using System.Net;
using System.Net.Sockets;
using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Hardening;

/// <summary>Hostile input on every door: each gets a clear error or a closed connection, and nothing else changes.</summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.LogLevel = "debug");
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task AssertServerFine(LineClient watcher)
    {
        await using var probe = await _server.JoinAsync("probe" + Random.Shared.Next(10000));
        await probe.SendAsync("still alive");
        await watcher.ExpectAsync("still alive$");
        await probe.SendAsync("/quit");
    }

    [Fact]
    public async Task Random_bytes_on_every_port_are_survived()
    {
        await using var watcher = await _server.JoinAsync("watcher");
        var random = new Random(20261121);
        foreach (var ep in new[] { _server.Plain, _server.Irc, _server.Http })
        {
            for (var round = 0; round < 5; round++)
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(ep);
                var bytes = new byte[random.Next(1, 64 * 1024)];
                random.NextBytes(bytes);
                try
                {
                    await tcp.GetStream().WriteAsync(bytes);
                }
                catch (IOException)
                {
                    // the server may close first; that is an allowed answer
                }
                tcp.Client.LingerState = new LingerOption(true, 0);
            }
        }
        await AssertServerFine(watcher);
    }

    [Fact]
    public async Task An_http_request_on_the_irc_port_gets_irc_errors_and_nothing_else()
    {
        await using var watcher = await _server.JoinAsync("watcher");
        await using var c = await LineClient.ConnectAsync(_server.Irc);
        await c.SendRawAsync("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl\r\n\r\n"u8.ToArray());
        Assert.Equal(":test.grove 451 * :You have not registered", await c.NextLineAsync());
        await AssertServerFine(watcher);
    }

    [Fact]
    public async Task Control_and_bidi_characters_in_names_and_rooms_are_refused_on_every_door()
    {
        await using var irc = await LineClient.ConnectAsync(_server.Irc);
        await irc.SendAsync("NICK ali\u202Ece");
        Assert.StartsWith(":test.grove 432 * ali\u202Ece :Erroneous nickname", await irc.NextLineAsync());
        await irc.SendAsync("NICK fine");
        await irc.SendAsync("USER f 0 * :F");
        await irc.ExpectAsync(" 001 fine ");
        await irc.SendAsync("JOIN #rtl\u202Eroom");
        await irc.ExpectAsync(" 403 fine #rtl\u202Eroom ");
        await using var plain = await LineClient.ConnectAsync(_server.Plain);
        await plain.ExpectAsync("^What is your name");
        await plain.SendAsync("bell\u0007");
        Assert.StartsWith("! A name may contain only", await plain.ExpectAsync("^! "));
        await plain.SendAsync("FINE");
        Assert.Contains("already taken", await plain.ExpectAsync("^! ")); // case-insensitively the same as the IRC user
    }

    [Fact]
    public async Task A_message_cannot_forge_a_log_line_or_another_persons_line()
    {
        await using var watcher = await _server.JoinAsync("watcher");
        await using var irc = await _server.IrcAsync("Forger");
        await irc.SendAsync("JOIN #lobby");
        await irc.IrcBarrierAsync();
        await irc.SendRawAsync(Encoding.UTF8.GetBytes("PRIVMSG #lobby :hello\r2026-11-21 00:00:00.000 [INF] Grove: forged entry\n"));
        var line = await watcher.ExpectAsync("^Forger: ");
        Assert.Equal("Forger: hello 2026-11-21 00:00:00.000 [INF] Grove: forged entry", line);
        await watcher.LinesUntilBarrierAsync();
        var log = await File.ReadAllLinesAsync(_server.LogFile);
        Assert.DoesNotContain(log, l => l.StartsWith("2026-11-21 00:00:00.000", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("Forger in #lobby: hello 2026-11-21 00:00:00.000 [INF] Grove: forged entry"));
    }

    [Fact]
    public async Task Sql_metacharacters_in_every_stored_field_are_stored_as_text()
    {
        const string evil = "'); DROP TABLE messages; -- \" %_ \\";
        await using var a = await _server.JoinAsync("sqler");
        await using var b = await _server.JoinAsync("target");
        await a.SendAsync("/join #x'--");
        await a.SendAsync("/topic " + evil);
        await a.SendAsync(evil);
        await a.SendAsync("/msg target " + evil);
        await b.ExpectAsync("^\\[private\\] sqler: ");
        await a.LinesUntilBarrierAsync();
        await using var c = await _server.JoinAsync("reader");
        await c.SendAsync("/join #x'--");
        Assert.Equal("* Topic of #x'--: " + evil, await c.ExpectAsync("^\\* Topic of"));
        Assert.EndsWith("sqler: " + evil, await c.ExpectAsync("^\\[history "));
        await b.SendAsync("/history sqler");
        Assert.EndsWith(evil, await b.ExpectAsync("^\\[history "));
    }
}
