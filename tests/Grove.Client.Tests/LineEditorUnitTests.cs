using Grove.Client.Terminal;

namespace Grove.Client.Tests;

public sealed class LineEditorUnitTests
{
    [Fact]
    public void Editing_keys_move_and_change_the_text()
    {
        var e = new LineEditor();
        foreach (var c in "helo") e.Insert(c);
        e.Left(); e.Insert('l');
        Assert.Equal("hello", e.Text);
        e.Home(); e.Delete();
        Assert.Equal("ello", e.Text);
        e.End(); e.Backspace();
        Assert.Equal("ell", e.Text);
        e.Home(); e.Backspace(); e.Left();
        Assert.Equal(0, e.Cursor);
        e.End(); e.Right(); e.Delete();
        Assert.Equal(3, e.Cursor);
    }

    [Fact]
    public void Surrogate_pairs_and_combining_marks_are_one_step_of_the_cursor()
    {
        var e = new LineEditor();
        foreach (var c in "a🐼e\u0301z") e.Insert(c);
        Assert.Equal(4, e.Elements.Count);
        e.Left(); e.Left();
        e.Backspace(); // removes the panda whole
        Assert.Equal("ae\u0301z", e.Text);
        e.Delete(); // removes é (e + combining acute) whole
        Assert.Equal("az", e.Text);
    }

    [Fact]
    public void Up_and_down_go_through_what_was_typed_and_keep_the_draft()
    {
        var e = new LineEditor();
        foreach (var line in new[] { "first", "second" })
        {
            foreach (var c in line) e.Insert(c);
            Assert.Equal(line, e.Submit());
        }
        foreach (var c in "dra") e.Insert(c);
        e.Up(); Assert.Equal("second", e.Text);
        e.Up(); Assert.Equal("first", e.Text);
        e.Up(); Assert.Equal("first", e.Text);
        e.Down(); Assert.Equal("second", e.Text);
        e.Down(); Assert.Equal("dra", e.Text);
        Assert.Equal(3, e.Cursor);
    }

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("你好", 4)]
    [InlineData("🐼", 2)]
    [InlineData("e\u0301", 1)]
    [InlineData("👩‍💻", 2)]
    [InlineData("☕", 2)]
    [InlineData("ｗｉｄｅ", 8)]
    public void Text_width_counts_terminal_columns(string text, int width) => Assert.Equal(width, TextWidth.Of(text));
}
