using Grove.Client.Terminal;

namespace Grove.Client.Tests;

public sealed class ScreenRendererUnitTests
{
    private static (VirtualTerminal Term, LineEditor Editor, ScreenRenderer Screen) Make(int width = 40, int height = 10)
    {
        var term = new VirtualTerminal(width, height);
        var editor = new LineEditor();
        var screen = new ScreenRenderer(term, editor) { Prompt = "> " };
        screen.Redraw();
        return (term, editor, screen);
    }

    private static void Type(LineEditor editor, ScreenRenderer screen, string text)
    {
        foreach (var c in text) { editor.Insert(c); screen.Redraw(); }
    }

    [Fact]
    public void A_line_arriving_while_typing_goes_above_and_the_input_and_cursor_stay_intact()
    {
        var (term, editor, screen) = Make();
        Type(editor, screen, "hello wor");
        editor.Left(); editor.Left(); screen.Redraw();
        screen.PrintAbove("bob: hi there");
        screen.PrintAbove("carol: and here");
        var lines = term.AllText();
        Assert.Equal(["bob: hi there", "carol: and here", "> hello wor"], lines);
        Assert.Equal(2, term.Row);
        Assert.Equal("> hello w".Length, term.Col);
        editor.Insert('X'); screen.Redraw();
        Assert.Equal("> hello wXor", term.AllText()[^1]);
    }

    [Fact]
    public void A_password_is_shown_as_stars_and_kept_out_of_the_history()
    {
        var (term, editor, screen) = Make();
        screen.Prompt = "password> ";
        screen.Masked = true;
        Type(editor, screen, "s3cret 🌳");
        Assert.Equal("password> ********", term.AllText()[^1]);
        Assert.DoesNotContain("s3cret", string.Join("\n", term.AllText()));
        Assert.Equal("s3cret 🌳", editor.Submit(secret: true));
        Assert.Empty(editor.History);
    }

    [Fact]
    public void Many_lines_scroll_and_the_input_stays_on_the_bottom_row()
    {
        var (term, editor, screen) = Make(30, 5);
        Type(editor, screen, "draft");
        for (var i = 0; i < 12; i++) screen.PrintAbove($"line {i}");
        Assert.Equal(4, term.Row);
        Assert.Equal("> draft", term.RowText(4));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"line {i}").Append("> draft"), term.AllText());
        Assert.Equal(7, term.Col);
    }

    [Fact]
    public void A_long_input_wraps_and_printing_above_it_clears_every_row_it_used()
    {
        var (term, editor, screen) = Make(10, 8);
        Type(editor, screen, "abcdefghijklmnopqrstuvw"); // 2 + 23 = 25 columns: three rows
        Assert.Equal(["> abcdefgh", "ijklmnopqr", "stuvw"], term.AllText());
        editor.Home(); editor.Right(); screen.Redraw(); // after "a": row 0, column 3
        Assert.Equal((0, 3), (term.Row, term.Col));
        screen.PrintAbove("news");
        Assert.Equal(["news", "> abcdefgh", "ijklmnopqr", "stuvw"], term.AllText());
        Assert.Equal((1, 3), (term.Row, term.Col));
    }

    [Fact]
    public void Input_that_exactly_fills_a_row_puts_the_cursor_on_the_next_row()
    {
        var (term, editor, screen) = Make(10, 6);
        Type(editor, screen, "12345678"); // 10 columns exactly
        Assert.Equal((1, 0), (term.Row, term.Col));
        screen.PrintAbove("x");
        Assert.Equal(["x", "> 12345678"], term.AllText());
        Assert.Equal((2, 0), (term.Row, term.Col));
    }

    [Fact]
    public void Wide_characters_take_two_columns_and_never_split_across_rows()
    {
        var (term, editor, screen) = Make(10, 6);
        Type(editor, screen, "ab你好🐼cd"); // "> ab" (4) + 你好 (4) = 8; 🐼 fits 8-9; c d wrap
        Assert.Equal(["> ab你好🐼", "cd"], term.AllText());
        editor.Left(); editor.Left(); editor.Left(); screen.Redraw(); // before 🐼
        Assert.Equal((0, 8), (term.Row, term.Col));
        var (term2, editor2, screen2) = Make(10, 6);
        Type(editor2, screen2, "abc你好🐼"); // "> abc" (5) + 你好 (4) = 9: 🐼 does not fit in the last column
        Assert.Equal(["> abc你好", "🐼"], term2.AllText());
        Assert.Equal((1, 2), (term2.Row, term2.Col));
        screen2.PrintAbove("note");
        Assert.Equal(["note", "> abc你好", "🐼"], term2.AllText());
    }

    [Fact]
    public void A_resize_redraws_the_input_for_the_new_width()
    {
        var (term, editor, screen) = Make(20, 6);
        Type(editor, screen, "0123456789abc");
        var narrow = new VirtualTerminal(8, 6);
        var screen2 = new ScreenRenderer(narrow, editor) { Prompt = "> " };
        screen2.Redraw();
        Assert.Equal(["> 012345", "6789abc"], narrow.AllText());
    }

    [Fact]
    public void Finish_erases_the_input_line()
    {
        var (term, editor, screen) = Make();
        Type(editor, screen, "unsent");
        screen.PrintAbove("last words");
        screen.Finish();
        Assert.Equal(["last words"], term.AllText());
    }
}
