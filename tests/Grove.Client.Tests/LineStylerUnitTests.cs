using Grove.Client.Terminal;

namespace Grove.Client.Tests;

public sealed class LineStylerUnitTests
{
    [Fact]
    public void Each_name_has_a_stable_colour_and_own_lines_are_highlighted()
    {
        var s = new LineStyler(color: true);
        var bob1 = s.Style("bob: hi", "alice");
        var bob2 = s.Style("Bob: again", "alice");
        Assert.Contains(LineStyler.ColorOf("bob"), bob1);
        Assert.Contains(LineStyler.ColorOf("bob"), bob2);
        Assert.Contains("\u001b[1;7malice", s.Style("alice: me", "alice"));
        Assert.StartsWith("\u001b[31", s.Style("! error", "alice"));
        Assert.StartsWith("\u001b[35", s.Style("[private] bob: psst", "alice"));
        Assert.StartsWith("\u001b[90", s.Style("* carol joined #lobby", "alice"));
    }

    [Fact]
    public void Every_name_colour_is_readable_on_dark_and_light_backgrounds()
    {
        // Every colour a name can get, found by hashing many names.
        var colours = Enumerable.Range(0, 2000).Select(i => LineStyler.ColorOf("name" + i)).Distinct().ToList();
        Assert.True(colours.Count >= 8, $"only {colours.Count} colours");
        foreach (var colour in colours)
        {
            // A 256-colour code has one RGB value everywhere; the 16 basic colours depend on the terminal's theme.
            var m = System.Text.RegularExpressions.Regex.Match(colour, "^\u001b\\[38;5;(\\d+)m$");
            Assert.True(m.Success, $"not a 256-colour code: {colour.Replace("\u001b", "ESC")}");
            var (r, g, b) = Xterm256(int.Parse(m.Groups[1].Value));
            var l = Luminance(r, g, b);
            Assert.True((l + 0.05) / 0.05 >= 3.5, $"colour {m.Groups[1].Value} on black: {(l + 0.05) / 0.05:0.0}");
            Assert.True(1.05 / (l + 0.05) >= 3.5, $"colour {m.Groups[1].Value} on white: {1.05 / (l + 0.05):0.0}");
        }
    }

    private static (int R, int G, int B) Xterm256(int n)
    {
        Assert.InRange(n, 16, 231); // the colour cube
        int[] level = [0, 95, 135, 175, 215, 255];
        n -= 16;
        return (level[n / 36], level[n / 6 % 6], level[n % 6]);
    }

    // WCAG relative luminance of an sRGB colour.
    private static double Luminance(int r, int g, int b)
    {
        static double Linear(int c) => c / 255.0 <= 0.03928 ? c / 255.0 / 12.92 : Math.Pow((c / 255.0 + 0.055) / 1.055, 2.4);
        return 0.2126 * Linear(r) + 0.7152 * Linear(g) + 0.0722 * Linear(b);
    }

    [Fact]
    public void Without_colour_lines_are_plain_and_control_characters_are_removed()
    {
        var s = new LineStyler(color: false);
        Assert.Equal("bob: hi", s.Style("bob: hi", "alice"));
        Assert.Equal("bob: [2Jgone", s.Style("bob: \u001b[2Jgone", "alice"));
        Assert.Equal("alice: mine", s.Own("mine", "alice", action: false));
    }
}
