using System.Net.Sockets;
using System.Text;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Plain;

// Each test quotes the sentence of docs/protocol.md ("Plain text door") or of the issue it verifies.
public sealed class PlainDoorIntegrationTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Welcome_counts_the_others_and_they_see_the_join()
    {
        // "a welcome line says how many others are there and how to get help; the others see `* alice joined #lobby`"
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await LineClient.ConnectAsync(_server.Plain);
        await bob.ExpectAsync("^Welcome to Grove");
        await bob.ExpectAsync("^What is your name\\?$");
        await bob.SendAsync("bob");
        var welcome = await bob.ExpectAsync("^\\* Welcome, bob!");
        Assert.Contains("#lobby", welcome);
        Assert.Contains("1 other person is here", welcome);
        Assert.Contains("/help", welcome);
        await alice.ExpectAsync("^\\* bob joined #lobby$");
    }

    [Theory]
    [InlineData("ALICE", "already taken")]
    [InlineData("Alice", "already taken")]
    [InlineData("", "cannot be empty")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "at most 32")]
    [InlineData("9lives", "must start with")]
    [InlineData("al ice", "may contain only")]
    [InlineData("al#ice", "may contain only")]
    [InlineData("émile", "must start with")]
    public async Task A_refused_name_gets_a_clear_line_and_the_prompt_again(string name, string reason)
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var c = await LineClient.ConnectAsync(_server.Plain);
        await c.ExpectAsync("^What is your name\\?$");
        await c.SendAsync(name);
        var error = await c.ExpectAsync("^! ");
        Assert.Contains(reason, error);
        Assert.Equal("What is your name?", await c.NextLineAsync());
        // The connection stays open and a good name works.
        await c.SendAsync("carol");
        await c.ExpectAsync("^\\* Welcome, carol!");
    }

    [Fact]
    public async Task A_32_character_name_is_accepted()
    {
        await using var c = await _server.JoinAsync("abcdefghijklmnopqrstuvwxyz012345");
        await c.SendAsync("/who");
        Assert.Equal("* Online (1): abcdefghijklmnopqrstuvwxyz012345", await c.ExpectAsync("^\\* Online"));
    }

    [Fact]
    public async Task A_message_reaches_the_others_as_name_colon_text_and_is_not_echoed()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await using var carol = await _server.JoinAsync("carol");
        await alice.SendAsync("hello everyone");
        await bob.ExpectAsync("^alice: hello everyone$");
        await carol.ExpectAsync("^alice: hello everyone$");
        var aliceSaw = await alice.LinesUntilBarrierAsync();
        Assert.DoesNotContain(aliceSaw, l => l.Contains("hello everyone"));
    }

    [Fact]
    public async Task Help_lists_every_command_with_a_description()
    {
        await using var alice = await _server.JoinAsync("alice");
        await alice.SendAsync("/help");
        await alice.ExpectAsync("^\\* Commands:$");
        var lines = await alice.LinesUntilBarrierAsync();
        var text = string.Join("\n", lines);
        foreach (var entry in Grove.Core.Commands.CommandTable.Entries.Where(e => e.On.HasFlag(Grove.Core.Commands.DoorSet.Plain)))
            Assert.Contains(entry.Syntax, text);
        foreach (var alias in new[] { "@grove", "!who", "!msg", "@leaves", "!logout", "bye", "exit", "@bamboo" })
            Assert.Contains(alias, text);
        Assert.DoesNotContain("/logout", text); // the browser's own
        Assert.All(lines.Where(l => l.StartsWith("*   /")), l => Assert.Matches(": \\w", l));
    }

    [Theory]
    [InlineData("/who")]
    [InlineData("@grove")]
    [InlineData("!who")]
    public async Task Who_and_its_aliases_list_who_is_online(string command)
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync(command);
        var line = await alice.ExpectAsync("^\\* Online \\(");
        Assert.Equal("* Online (2): alice, bob", line);
    }

    [Theory]
    [InlineData("/msg")]
    [InlineData("!msg")]
    public async Task A_private_message_reaches_only_its_recipient(string command)
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await using var carol = await _server.JoinAsync("carol");
        await alice.SendAsync($"{command} BOB psst, just for you 🤫");
        await bob.ExpectAsync("^\\[private\\] alice: psst, just for you 🤫$");
        await alice.ExpectAsync("^\\[private to bob\\] alice: psst, just for you 🤫$");
        Assert.DoesNotContain(await carol.LinesUntilBarrierAsync(), l => l.Contains("psst"));
    }

    [Fact]
    public async Task A_private_message_to_an_unknown_name_is_a_clear_error()
    {
        await using var alice = await _server.JoinAsync("alice");
        await alice.SendAsync("/msg nobody hello?");
        var line = await alice.ExpectAsync("^! ");
        Assert.Contains("No one called \"nobody\" is online", line);
        await alice.SendAsync("/msg bob");
        Assert.Equal("! Usage: /msg NAME TEXT", await alice.NextLineAsync());
    }

    [Theory]
    [InlineData("/quit gotta go", "gotta go")]
    [InlineData("/quit", "quit")]
    [InlineData("@leaves", "quit")]
    [InlineData("!logout", "quit")]
    [InlineData("bye", "quit")]
    [InlineData("exit", "quit")]
    public async Task Quit_and_its_aliases_say_goodbye_close_and_tell_the_others(string command, string reason)
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync(command);
        var rest = await alice.ReadUntilClosedAsync();
        Assert.Contains("* Goodbye, alice!", rest);
        await bob.ExpectAsync($"^\\* alice left \\({reason}\\)$");
        // The name is free again.
        await using var again = await _server.JoinAsync("alice");
    }

    [Fact]
    public async Task Bye_inside_a_sentence_is_an_ordinary_message()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync("bye for now");
        await bob.ExpectAsync("^alice: bye for now$");
    }

    [Theory]
    [InlineData("/bamboo")]
    [InlineData("@bamboo")]
    public async Task Bamboo_answers_with_a_panda_fact(string command)
    {
        await using var alice = await _server.JoinAsync("alice");
        await alice.SendAsync(command);
        var line = await alice.ExpectAsync("^\\* 🐼 ");
        var fact = line["* 🐼 ".Length..];
        Assert.Contains(Grove.Core.Fun.PandaFacts.All, f => f.StartsWith(fact, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Me_shows_an_action_and_nick_changes_the_name_for_everyone()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync("/me waves 👋");
        await bob.ExpectAsync("^\\* alice waves 👋$");
        await alice.SendAsync("/nick bob");
        Assert.Contains("already taken", await alice.ExpectAsync("^! "));
        await alice.SendAsync("/nick 1bad");
        Assert.Contains("must start with", await alice.ExpectAsync("^! "));
        await alice.SendAsync("/nick alicia");
        await alice.ExpectAsync("^\\* You are now known as alicia$");
        await bob.ExpectAsync("^\\* alice is now known as alicia$");
        await alice.SendAsync("hi again");
        await bob.ExpectAsync("^alicia: hi again$");
        // The old name is free; a case change of one's own name is allowed.
        await using var newAlice = await _server.JoinAsync("alice");
        await newAlice.SendAsync("/nick ALICE");
        await newAlice.ExpectAsync("^\\* You are now known as ALICE$");
    }

    [Theory]
    [InlineData("/dance")]
    [InlineData("/MSGX bob hi")]
    public async Task An_unknown_command_points_at_help(string command)
    {
        await using var alice = await _server.JoinAsync("alice");
        await alice.SendAsync(command);
        var line = await alice.ExpectAsync("^! ");
        Assert.Contains("Unknown command", line);
        Assert.Contains("/help", line);
    }

    [Fact]
    public async Task Utf8_emoji_and_both_line_endings_arrive_intact()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendRawAsync(Encoding.UTF8.GetBytes("crlf ok 🎉\r\nlf ok — ünïcödé 中文\n"));
        await bob.ExpectAsync("^alice: crlf ok 🎉$");
        Assert.Equal("alice: lf ok — ünïcödé 中文", await bob.NextLineAsync());
    }

    [Fact]
    public async Task A_line_split_into_single_bytes_arrives_whole()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        alice.Socket.NoDelay = true;
        foreach (var b in Encoding.UTF8.GetBytes("slow 🐢 typing\n")) await alice.SendRawAsync([b]);
        await bob.ExpectAsync("^alice: slow 🐢 typing$");
    }

    [Fact]
    public async Task A_4_KiB_message_arrives_whole_and_a_longer_line_is_refused_and_discarded()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        var big = new string('y', 4092) + "🎉"; // exactly 4096 bytes of UTF-8
        await alice.SendAsync(big);
        var got = await bob.ExpectAsync("^alice: y");
        Assert.Equal("alice: " + big, got);

        await alice.SendAsync(new string('z', 5000));
        var error = await alice.ExpectAsync("^! ");
        Assert.Contains("longer than 4096 bytes", error);
        await alice.SendAsync("still here");
        var next = await bob.NextLineAsync();
        Assert.Equal("alice: still here", next);
    }

    [Fact]
    public async Task A_huge_line_without_end_is_refused_without_buffering_it()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        var chunk = Encoding.ASCII.GetBytes(new string('q', 64 * 1024));
        for (var i = 0; i < 32; i++) await alice.SendRawAsync(chunk); // 2 MiB with no newline
        await alice.SendRawAsync("\nafter the flood\n"u8.ToArray());
        Assert.Contains("longer than", await alice.ExpectAsync("^! "));
        Assert.Equal("alice: after the flood", await bob.NextLineAsync());
    }

    [Fact]
    public async Task Invalid_utf8_is_refused_and_nothing_else_changes()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendRawAsync([0x68, 0x69, 0xC3, 0x28, 0xFF, (byte)'\n']);
        Assert.Contains("not valid UTF-8", await alice.ExpectAsync("^! "));
        await alice.SendAsync("valid again");
        Assert.Equal("alice: valid again", await bob.NextLineAsync());
    }

    [Fact]
    public async Task Terminal_escape_sequences_never_reach_another_terminal()
    {
        await using var alice = await _server.JoinAsync("alice");
        await using var bob = await _server.JoinAsync("bob");
        await alice.SendAsync("\u001b[2Jcleared?\u0007 nul\u0000here");
        var line = await bob.ExpectAsync("^alice: ");
        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\u0007', line);
        Assert.DoesNotContain('\u0000', line);
        Assert.Contains("cleared?", line);
    }

    [Fact]
    public async Task An_abrupt_disconnect_is_cleaned_up_and_the_name_is_free_again()
    {
        await using var bob = await _server.JoinAsync("bob");
        var alice = await _server.JoinAsync("alice");
        await bob.ExpectAsync("^\\* alice joined");
        alice.Reset();
        await bob.ExpectAsync("^\\* alice left \\(connection lost\\)$");
        await bob.SendAsync("/who");
        Assert.Equal("* Online (1): bob", await bob.ExpectAsync("^\\* Online"));
        await using var again = await _server.JoinAsync("alice");
    }

    [Fact]
    public async Task A_connection_closed_before_choosing_a_name_leaves_nothing_behind()
    {
        var c = await LineClient.ConnectAsync(_server.Plain);
        await c.ExpectAsync("^What is your name");
        await c.SendRawAsync("half a na"u8.ToArray());
        c.Reset();
        await using var bob = await _server.JoinAsync("bob");
        await bob.SendAsync("/who");
        Assert.Equal("* Online (1): bob", await bob.ExpectAsync("^\\* Online"));
        await WaitFor(() => _server.Host.Chat.SessionCount == 1);
    }

    [Fact]
    public async Task Commands_sent_before_the_input_ends_are_all_answered()
    {
        // `printf 'alice\n/who\nhi\n' | nc -N host port` must see its answers before the server closes.
        await using var bob = await _server.JoinAsync("bob");
        await using var c = await LineClient.ConnectAsync(_server.Plain);
        await c.SendAsync("alice\n/who\nhi there");
        c.Socket.Shutdown(SocketShutdown.Send);
        var lines = await c.ReadUntilClosedAsync();
        Assert.Contains(lines, l => l.StartsWith("* Welcome, alice!"));
        Assert.Contains("* Online (2): alice, bob", lines);
        await bob.ExpectAsync("^alice: hi there$");
        await bob.ExpectAsync("^\\* alice left \\(connection lost\\)$");
    }

    [Fact]
    public async Task A_hundred_clients_each_receive_every_message_once_and_in_order_per_sender()
    {
        const int clients = 100, senders = 10, perSender = 20;
        var all = new List<LineClient>();
        for (var i = 0; i < clients; i++) all.Add(await _server.JoinAsync($"user{i:000}"));
        try
        {
            // Every later join was announced to earlier clients: drain those with a barrier first.
            foreach (var c in all) await c.LinesUntilBarrierAsync();

            await Task.WhenAll(Enumerable.Range(0, senders).Select(async s =>
            {
                for (var k = 0; k < perSender; k++) await all[s].SendAsync($"m {s} {k}");
            }));

            await Task.WhenAll(all.Select(async (c, index) =>
            {
                var expected = index < senders ? (senders - 1) * perSender : senders * perSender;
                var next = new int[senders];
                for (var n = 0; n < expected; n++)
                {
                    var line = await c.ExpectAsync("^user\\d{3}: m ");
                    var parts = line.Split(' ');
                    var s = int.Parse(parts[2]);
                    var k = int.Parse(parts[3]);
                    Assert.NotEqual(index, s);
                    Assert.Equal(next[s], k); // in order per sender, no duplicate, no gap
                    next[s]++;
                }
                // Nothing more than expected arrives.
                var extra = await c.LinesUntilBarrierAsync();
                Assert.DoesNotContain(extra, l => l.Contains(": m "));
            }));
        }
        finally
        {
            foreach (var c in all) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task Disconnecting_a_hundred_clients_at_once_leaves_the_server_clean()
    {
        var all = new List<LineClient>();
        for (var i = 0; i < 100; i++) all.Add(await _server.JoinAsync($"gone{i}"));
        foreach (var c in all) c.Reset();
        await WaitFor(() => _server.Host.Chat.SessionCount == 0);
        await using var bob = await _server.JoinAsync("bob");
        await bob.SendAsync("/who");
        Assert.Equal("* Online (1): bob", await bob.ExpectAsync("^\\* Online"));
    }

    internal static async Task WaitFor(Func<bool> condition, int timeoutMs = 30_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        while (!condition())
        {
            // Polling a condition with a deadline (not a fixed sleep): the state changes on another thread.
            await Task.Delay(20, cts.Token);
        }
    }
}
