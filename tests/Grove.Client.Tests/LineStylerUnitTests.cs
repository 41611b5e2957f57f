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
    public void Without_colour_lines_are_plain_and_control_characters_are_removed()
    {
        var s = new LineStyler(color: false);
        Assert.Equal("bob: hi", s.Style("bob: hi", "alice"));
        Assert.Equal("bob: [2Jgone", s.Style("bob: \u001b[2Jgone", "alice"));
        Assert.Equal("alice: mine", s.Own("mine", "alice", action: false));
    }
}
