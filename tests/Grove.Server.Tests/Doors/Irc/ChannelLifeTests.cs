using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>Rooms behave like IRC channels: one nobody is in ends; a registered one does not; long lines are split.</summary>
public sealed class ChannelLifeTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_unregistered_channel_that_empties_loses_its_modes_key_limit_bans_topic_and_operators_but_not_its_history()
    {
        // RFC 2812 1.3: "The channel is created implicitly when the first client joins it, and the channel ceases to
        // exist when the last client leaves it." The next to join creates it anew and is its operator.
        await using (var first = await _server.IrcAsync("first"))
        {
            await first.SendAsync("JOIN #x");
            await first.ExpectAsync(" 366 first #x ");
            await first.SendAsync("PRIVMSG #x :remember me");
            await first.SendAsync("TOPIC #x :old topic");
            await first.SendAsync("MODE #x +iklsm secret 5");
            await first.SendAsync("MODE #x +b nobody!*@*");
            await first.ExpectAsync(" MODE #x \\+b nobody!\\*@\\*$");
            await first.SendAsync("PART #x");
            await first.ExpectAsync(" PART #x$");
        }
        await using var next = await _server.IrcAsync("next");
        await next.SendAsync("JOIN #x");
        await next.ExpectAsync("^:next!~next@irc\\.grove JOIN #x$");
        var burst = await next.IrcBarrierAsync();
        Assert.DoesNotContain(burst, l => l.Contains(" 332 ") || l.Contains("old topic"));
        Assert.Contains(burst, l => l.Contains(" 353 next = #x :@next"));
        Assert.Contains(burst, l => l.Contains("PRIVMSG #x :remember me")); // the history stays
        await next.SendAsync("MODE #x");
        Assert.StartsWith(":test.grove 324 next #x +nt", await next.NextLineAsync());
        await next.ExpectAsync(" 329 next #x ");
        await next.SendAsync("MODE #x b");
        Assert.Equal(":test.grove 368 next #x :End of channel ban list", await next.NextLineAsync());
    }

    [Fact]
    public async Task A_registered_room_keeps_its_settings_when_it_empties()
    {
        // docs/protocol.md: "Registered rooms keep everything".
        await using (var owner = await _server.RegisteredAsync("owner", "password1"))
        {
            await owner.SendAsync("/join #keep");
            await owner.SendAsync("/room register");
            await owner.ExpectAsync("^\\* #keep is registered");
            await owner.SendAsync("/mode +k sesame");
            await owner.ExpectAsync("\\+k");
            await owner.SendAsync("/part");
            await owner.ExpectAsync("^\\* You left #keep");
        }
        await using var guest = await _server.IrcAsync("guest");
        await guest.SendAsync("JOIN #keep");
        await guest.ExpectAsync("^:test\\.grove 475 guest #keep :Cannot join channel \\(\\+k\\)$");
    }

    [Fact]
    public async Task A_4096_byte_message_reaches_an_irc_client_as_lines_of_at_most_512_bytes_that_rejoin_to_it()
    {
        // RFC 1459 2.3: "IRC messages shall not exceed 512 characters in length, counting all characters including
        // the trailing CR-LF." A plain-door line may be 4,096 bytes; IRC clients cut longer lines silently.
        await using var irc = await _server.IrcAsync("reader");
        await irc.SendAsync("JOIN #lobby");
        await irc.ExpectAsync(" 366 reader #lobby ");
        await irc.IrcBarrierAsync();
        await using var plain = await _server.JoinAsync("writer");
        var words = new System.Text.StringBuilder();
        for (var i = 0; words.Length < 4096; i++) words.Append(i % 7 == 0 ? "ünïcödé🌲 " : $"word{i} ");
        var text = words.ToString(0, 4096).TrimEnd();
        while (System.Text.Encoding.UTF8.GetByteCount(text) > 4096) text = text[..^1].TrimEnd();
        await plain.SendAsync(text);
        // The message comes from another connection: the writer's own barrier makes sure it was handled (and handed
        // to the reader) before the reader's barrier below.
        await plain.LinesUntilBarrierAsync();
        await irc.ExpectAsync(" JOIN #lobby$");
        var lines = (await irc.IrcBarrierAsync()).Where(l => l.Contains(" PRIVMSG #lobby :")).ToList();
        Assert.True(lines.Count > 1, $"{lines.Count} line(s)");
        Assert.All(lines, l => Assert.True(System.Text.Encoding.UTF8.GetByteCount(l) + 2 <= 512, $"{l.Length}: {l[..40]}"));
        Assert.Equal(text, string.Concat(lines.Select(l => l[(l.IndexOf(" :", StringComparison.Ordinal) + 2)..])));
        // Split at word boundaries: every line but the last ends with the space before a word.
        Assert.All(lines.SkipLast(1), l => Assert.EndsWith(" ", l));
    }
}
