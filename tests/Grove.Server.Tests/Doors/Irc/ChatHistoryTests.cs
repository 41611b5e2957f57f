using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>draft/chathistory (ircv3.net/specs/extensions/chathistory), backed by the store.</summary>
public sealed class ChatHistoryTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string HistoryCaps = "draft/chathistory batch server-time message-tags";

    /// <summary>Reads one chathistory batch and returns the messages in it as (msgid, text).</summary>
    private static async Task<List<(long Id, string Text)>> ReadBatch(LineClient c, string target)
    {
        var start = await c.ExpectAsync("BATCH \\+");
        var m = Regex.Match(start, $"BATCH \\+(\\S+) chathistory {Regex.Escape(target)}$");
        Assert.True(m.Success, start);
        var id = m.Groups[1].Value;
        var result = new List<(long, string)>();
        while (true)
        {
            var line = await c.NextLineAsync();
            if (line == $":test.grove BATCH -{id}") return result;
            var lm = Regex.Match(line, $"^@batch={id};time=[^;]+;msgid=(\\d+) :\\S+ PRIVMSG \\S+ :(.*)$");
            Assert.True(lm.Success, line);
            result.Add((long.Parse(lm.Groups[1].Value), lm.Groups[2].Value));
        }
    }

    [Fact]
    public async Task After_a_disconnect_chathistory_returns_exactly_the_missed_messages_in_order()
    {
        // "CHATHISTORY AFTER … Request up to limit number of messages after and excluding the given reference".
        await using var talker = await _server.JoinAsync("talker");
        var client = await LineClient.IrcWithCapsAsync(_server.Irc, "Reader", HistoryCaps);
        await client.SendAsync("JOIN #lobby");
        await client.IrcBarrierAsync();
        await talker.SendAsync("seen before leaving");
        var last = await client.ExpectAsync("seen before leaving$");
        var lastId = Regex.Match(last, "msgid=(\\d+)").Groups[1].Value;
        await client.SendAsync("QUIT :brb");
        await client.ReadUntilClosedAsync();
        await client.DisposeAsync();

        for (var i = 1; i <= 7; i++) await talker.SendAsync($"missed {i}");
        await talker.LinesUntilBarrierAsync();

        await using var back = await LineClient.IrcWithCapsAsync(_server.Irc, "Reader", HistoryCaps);
        await back.SendAsync("JOIN #lobby");
        // "Clients that negotiated chathistory fetch history themselves": no replay on join.
        var joined = await back.IrcBarrierAsync();
        Assert.DoesNotContain(joined, l => l.Contains("missed"));
        await back.SendAsync($"CHATHISTORY AFTER #lobby msgid={lastId} 50");
        var missed = await ReadBatch(back, "#lobby");
        Assert.Equal(Enumerable.Range(1, 7).Select(i => $"missed {i}"), missed.Select(m => m.Text));
        Assert.Equal(missed.OrderBy(m => m.Id), missed);
    }

    [Fact]
    public async Task Latest_before_after_around_and_between_select_the_right_messages()
    {
        await using var talker = await LineClient.IrcWithCapsAsync(_server.Irc, "Talker", HistoryCaps + " echo-message");
        await talker.SendAsync("JOIN #h");
        await talker.IrcBarrierAsync();
        var ids = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            await talker.SendAsync($"PRIVMSG #h :m{i}");
            var echo = await talker.ExpectAsync($"PRIVMSG #h :m{i}$");
            ids.Add(long.Parse(Regex.Match(echo, "msgid=(\\d+)").Groups[1].Value));
        }
        async Task<List<string>> Ask(string command)
        {
            await talker.SendAsync(command);
            return (await ReadBatch(talker, "#h")).Select(m => m.Text).ToList();
        }
        // "LATEST … * … the most recent messages"
        Assert.Equal(["m7", "m8", "m9"], await Ask("CHATHISTORY LATEST #h * 3"));
        // "BEFORE: … before and excluding the given reference"
        Assert.Equal(["m3", "m4"], await Ask($"CHATHISTORY BEFORE #h msgid={ids[5]} 2"));
        Assert.Equal(["m6", "m7"], await Ask($"CHATHISTORY AFTER #h msgid={ids[5]} 2"));
        // "AROUND: … messages before and after the given reference": half before it, the rest from it on.
        Assert.Equal(["m3", "m4", "m5", "m6"], await Ask($"CHATHISTORY AROUND #h msgid={ids[5]} 4"));
        Assert.Equal(["m3", "m4", "m5"], await Ask($"CHATHISTORY BETWEEN #h msgid={ids[2]} msgid={ids[6]} 3"));
        Assert.Equal(["m4", "m5"], await Ask($"CHATHISTORY BETWEEN #h msgid={ids[6]} msgid={ids[2]} 2"));
        Assert.Equal(["m8", "m9"], await Ask($"CHATHISTORY LATEST #h msgid={ids[7]} 10"));
        var future = DateTimeOffset.UtcNow.AddMinutes(5).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        Assert.Equal(["m8", "m9"], await Ask($"CHATHISTORY BEFORE #h timestamp={future} 2"));
    }

    [Fact]
    public async Task Private_history_targets_and_errors()
    {
        await using var a = await LineClient.IrcWithCapsAsync(_server.Irc, "Ann", HistoryCaps);
        await using var b = await _server.JoinAsync("bob");
        await b.SendAsync("/msg Ann hello Ann");
        await a.ExpectAsync("hello Ann$");
        await a.SendAsync("PRIVMSG bob :hello bob");
        await b.ExpectAsync("hello bob$");
        await b.LinesUntilBarrierAsync();
        await a.SendAsync("CHATHISTORY LATEST bob * 10");
        Assert.Equal(["hello Ann", "hello bob"], (await ReadBatch(a, "bob")).Select(m => m.Text));
        // TARGETS: "lists … targets … with activity between the two timestamps", in a draft/chathistory-targets batch.
        var from = DateTimeOffset.UtcNow.AddMinutes(-5).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        var to = DateTimeOffset.UtcNow.AddMinutes(5).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        await a.SendAsync($"CHATHISTORY TARGETS timestamp={from} timestamp={to} 10");
        Assert.Matches("BATCH \\+\\S+ draft/chathistory-targets$", await a.NextLineAsync());
        // Each line: "CHATHISTORY TARGETS <target> <timestamp>", the bare timestamp of its latest message.
        Assert.Matches("^@batch=\\S+ :test\\.grove CHATHISTORY TARGETS bob \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$", await a.NextLineAsync());
        Assert.StartsWith(":test.grove BATCH -", await a.NextLineAsync());
        // FAIL CHATHISTORY INVALID_TARGET for a channel one is not in; INVALID_PARAMS for a bad reference.
        await using var other = await _server.IrcAsync("Other");
        await other.SendAsync("JOIN #secret");
        await other.IrcBarrierAsync();
        await a.SendAsync("CHATHISTORY LATEST #secret * 10");
        Assert.Equal(":test.grove FAIL CHATHISTORY INVALID_TARGET LATEST #secret :You are not in that channel", await a.NextLineAsync());
        await a.SendAsync("CHATHISTORY BEFORE bob nonsense 10");
        Assert.Equal(":test.grove FAIL CHATHISTORY INVALID_PARAMS BEFORE :Invalid message reference or limit", await a.NextLineAsync());
    }

    [Fact]
    public async Task Clients_without_chathistory_get_recent_messages_on_join_with_server_time_when_asked()
    {
        await using var talker = await _server.JoinAsync("talker");
        await talker.SendAsync("before you came");
        await talker.LinesUntilBarrierAsync();
        await using var timed = await LineClient.IrcWithCapsAsync(_server.Irc, "Timed", "server-time");
        await timed.SendAsync("JOIN #lobby");
        Assert.Matches("^@time=\\S+ :talker!talker@plain\\.grove PRIVMSG #lobby :before you came$", await timed.ExpectAsync("before you came$"));
        await using var plain = await _server.IrcAsync("Plain");
        await plain.SendAsync("JOIN #lobby");
        Assert.Equal(":talker!talker@plain.grove PRIVMSG #lobby :before you came", await plain.ExpectAsync("before you came$"));
    }

    /// <summary>Returns once the clock the server stamps messages with has moved past the current millisecond.</summary>
    private static async Task NextMillisecondAsync()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() <= now) await Task.Yield();
    }

    [Fact]
    public async Task Targets_come_earliest_first_and_leave_out_one_whose_latest_message_is_past_the_window()
    {
        // irctest chathistory: "Targets should be sorted by time of latest message (earliest first)"; a target with
        // activity in the window "but where the latest message is outside the window" is excluded.
        await using var a = await LineClient.IrcWithCapsAsync(_server.Irc, "Tia", HistoryCaps);
        await using var b = await _server.IrcAsync("tob");
        await a.SendAsync("JOIN #tt");
        await a.ExpectAsync(" 366 Tia #tt ");
        await a.SendAsync("PRIVMSG #tt :first");
        // Times are stored in milliseconds: sent in the same one, the two messages would tie and leave the order open.
        await a.IrcBarrierAsync();
        await NextMillisecondAsync();
        await a.SendAsync("PRIVMSG tob :between us");
        await b.ExpectAsync("PRIVMSG tob :between us$");
        await a.IrcBarrierAsync();
        string Ts(DateTimeOffset t) => "timestamp=" + t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        await a.SendAsync($"CHATHISTORY TARGETS {Ts(DateTimeOffset.UtcNow.AddMinutes(-5))} {Ts(DateTimeOffset.UtcNow.AddMinutes(5))} 10");
        var lines = await a.IrcBarrierAsync();
        Assert.Equal(["#tt", "tob"], lines.Where(l => l.Contains(" CHATHISTORY TARGETS ")).Select(l => l.Split(' ')[4]));
        // A window ending at the private message holds the channel's message, but the channel spoke again later.
        var dm = lines.First(l => l.Contains("TARGETS tob ")).Split(' ')[5];
        await a.SendAsync("PRIVMSG #tt :later");
        await a.IrcBarrierAsync();
        await a.SendAsync($"CHATHISTORY TARGETS {Ts(DateTimeOffset.UtcNow.AddMinutes(-5))} timestamp={dm} 10");
        Assert.DoesNotContain(await a.IrcBarrierAsync(), l => l.Contains(" CHATHISTORY TARGETS "));
    }
}
