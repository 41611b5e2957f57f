using System.Buffers;
using System.Text;
using Grove.Wire;

namespace Grove.Core.Tests.Wire;

public sealed class LineFramerUnitTests
{
    private static List<string> Frame(LineFramer framer, IEnumerable<byte[]> chunks, List<FrameResult>? results = null)
    {
        var lines = new List<string>();
        var pending = Array.Empty<byte>();
        foreach (var chunk in chunks)
        {
            var data = pending.Concat(chunk).ToArray();
            var buffer = new ReadOnlySequence<byte>(data);
            while (true)
            {
                var r = framer.TryReadLine(ref buffer, out var line);
                if (r == FrameResult.NeedMore) break;
                results?.Add(r);
                if (r == FrameResult.Line) lines.Add(Encoding.UTF8.GetString(line.ToArray()));
            }
            pending = buffer.ToArray();
        }
        return lines;
    }

    [Fact]
    public void Splitting_the_input_at_every_offset_gives_the_same_lines()
    {
        var input = Encoding.UTF8.GetBytes("hello\r\nwörld 🐼\n\nlast\r\n");
        var expected = new[] { "hello", "wörld 🐼", "", "last" };
        Assert.Equal(expected, Frame(new LineFramer(100), [input]));
        for (var cut = 0; cut <= input.Length; cut++)
            Assert.Equal(expected, Frame(new LineFramer(100), [input[..cut], input[cut..]]));
        Assert.Equal(expected, Frame(new LineFramer(100), input.Select(b => new[] { b })));
    }

    [Fact]
    public void A_line_at_the_limit_passes_and_one_over_is_reported_once_and_dropped()
    {
        var results = new List<FrameResult>();
        var input = Encoding.ASCII.GetBytes(new string('a', 10) + "\n" + new string('b', 11) + "\nok\n");
        var lines = Frame(new LineFramer(10), [input], results);
        Assert.Equal(new[] { new string('a', 10), "ok" }, lines);
        Assert.Equal(new[] { FrameResult.Line, FrameResult.TooLong, FrameResult.Line }, results);
    }

    [Fact]
    public void An_endless_line_is_dropped_as_it_arrives_without_being_buffered()
    {
        var framer = new LineFramer(10);
        var results = new List<FrameResult>();
        var chunks = Enumerable.Range(0, 100).Select(_ => Encoding.ASCII.GetBytes(new string('x', 7))).Append("\nafter\n"u8.ToArray());
        var lines = Frame(framer, chunks, results);
        Assert.Equal(new[] { "after" }, lines);
        Assert.Equal(1, results.Count(r => r == FrameResult.TooLong));
    }

    [Fact]
    public void Strict_decoding_refuses_invalid_utf8()
    {
        Assert.True(TextRules.TryDecodeUtf8(new ReadOnlySequence<byte>("ok 🐼"u8.ToArray()), out var text));
        Assert.Equal("ok 🐼", text);
        Assert.False(TextRules.TryDecodeUtf8(new ReadOnlySequence<byte>([0xC3, 0x28]), out _));
        Assert.False(TextRules.TryDecodeUtf8(new ReadOnlySequence<byte>([0xED, 0xA0, 0x80]), out _)); // a lone surrogate
        Assert.False(TextRules.TryDecodeUtf8(new ReadOnlySequence<byte>([0xC0, 0xAF]), out _)); // overlong
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("\u001b[31mred\u001b[0m", "[31mred[0m")]
    [InlineData("tab\tkept", "tab\tkept")]
    [InlineData("\u0003" + "04,12colour\u000f off", "colour off")]
    [InlineData("\u0002bold\u0002", "bold")]
    [InlineData("c1\u009b2J", "c12J")]
    public void Terminal_controls_are_stripped(string input, string expected) =>
        Assert.Equal(expected, TextRules.StripTerminalControls(input));
}
