using System.Buffers;
using System.Diagnostics;
using System.Text;
using Grove.Core.Commands;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Core.Tests;

/// <summary>
/// Property-based fuzzing of every parser with random and mutated inputs, bounded in time (about a second each):
/// parsing never throws and never loops, and what is rendered from a parse reads back the same.
/// </summary>
public sealed class FuzzUnitTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    // At least this many inputs each, however slow a loaded machine runs the second (it asserted "more than 1,000 in a
    // second", which a test host starved of the cores for that second can miss).
    private const int MinInputs = 2_000;
    private static readonly string[] Seeds =
    [
        "PRIVMSG #lobby :hello there", "@a=b;+c=d\\se :nick!u@h PRIVMSG #x :hi", ":server 001 nick :Welcome", "NICK bob", "JOIN #a,#b k1,k2",
        "/msg bob hi", "/join #room", "/history 20", "!who", "@bamboo", "bye", "//slash", "CAP REQ :server-time echo-message",
    ];

    private const string Specials = " :@;=\\\r\n\0#!/";

    private static string Mutate(Random r, string s)
    {
        var sb = new StringBuilder(s);
        for (var n = r.Next(1, 6); n > 0; n--)
        {
            var pos = sb.Length == 0 ? 0 : r.Next(sb.Length);
            switch (r.Next(4))
            {
                case 0: sb.Insert(pos, (char)r.Next(0, 0x3000)); break;
                case 1: if (sb.Length > 0) sb.Remove(pos, 1); break;
                case 2: sb.Insert(pos, Specials[r.Next(Specials.Length)]); break;
                default: sb.Insert(pos, new string((char)r.Next(32, 127), r.Next(1, 40))); break;
            }
        }
        return sb.ToString();
    }

    private static IEnumerable<string> Inputs(int seed)
    {
        var r = new Random(seed);
        var clock = Stopwatch.StartNew();
        for (var n = 0; clock.Elapsed < Budget || n < MinInputs; n++)
        {
            yield return r.Next(3) == 0
                ? new string(Enumerable.Range(0, r.Next(0, 600)).Select(_ => (char)r.Next(0, 0x500)).ToArray())
                : Mutate(r, Seeds[r.Next(Seeds.Length)]);
        }
    }

    [Fact]
    public void The_irc_parser_never_throws_and_formatting_what_it_parsed_reads_back_the_same()
    {
        foreach (var input in Inputs(1))
        {
            var m = IrcMessage.Parse(input);
            if (m is null) continue;
            var clean = m.Params.Select(p => Grove.Wire.TextRules.Clean(p, Grove.Wire.TextTarget.Line)).ToArray(); // what Format does (the one rule)
            // Only the last parameter may be empty, contain spaces or start with ':'.
            if (clean.Length > 0 && clean[..^1].Any(p => p.Length == 0 || p.Contains(' ') || p.StartsWith(':'))) continue;
            if (m.Command.Any(c => c is ' ' or '\r' or '\n' or '\0') || m.Source is { } src && (src.Length == 0 || src.Any(c => c is ' ' or '\r' or '\n' or '\0'))) continue;
            var line = IrcMessage.Format(m.Source, m.Command, clean).TrimEnd('\r', '\n');
            Assert.DoesNotContain('\n', line);
            var again = IrcMessage.Parse(line);
            Assert.NotNull(again);
            Assert.Equal(m.Command, again!.Command);
            Assert.Equal(clean, again.Params);
        }
    }

    [Fact]
    public void The_plain_command_parser_never_throws_and_always_answers()
    {
        foreach (var input in Inputs(2))
        {
            var r = PlainCommandParser.Parse(input);
            Assert.True(r.Command is not null ^ r.ErrorText is not null);
        }
    }

    [Fact]
    public void The_line_framer_never_throws_never_loops_and_never_returns_a_line_over_the_limit()
    {
        var r = new Random(3);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Budget)
        {
            var framer = new LineFramer(r.Next(1, 200));
            var data = new byte[r.Next(0, 2000)];
            r.NextBytes(data);
            for (var i = 0; i < data.Length; i++) if (r.Next(20) == 0) data[i] = (byte)'\n';
            var pending = Array.Empty<byte>();
            var offset = 0;
            while (offset < data.Length)
            {
                var take = Math.Min(data.Length - offset, r.Next(1, 300));
                var buffer = new ReadOnlySequence<byte>(pending.Concat(data.Skip(offset).Take(take)).ToArray());
                offset += take;
                for (var steps = 0; ; steps++)
                {
                    Assert.True(steps < 10_000, "the framer looped");
                    var before = buffer.Length;
                    var result = framer.TryReadLine(ref buffer, out var line);
                    if (result == FrameResult.NeedMore) break;
                    Assert.True(buffer.Length < before || result == FrameResult.TooLong, "no progress");
                    if (result == FrameResult.Line) Assert.True(line.Length <= framer.MaxLineBytes);
                }
                pending = buffer.ToArray();
                Assert.True(pending.Length <= framer.MaxLineBytes + 1, "the framer kept more than a line's worth");
            }
            _ = TextRules.TryDecodeUtf8(new ReadOnlySequence<byte>(pending), out _);
        }
    }
}
