using System.Text;

namespace Grove.Client.Terminal;

/// <summary>Where the renderer writes: the real console, or a fake one in tests.</summary>
public interface ITerminalOutput
{
    int Width { get; }
    void Write(string text);
    void Flush();
}

/// <summary>
/// Keeps the line being typed at the bottom while lines arrive above it. To print a line it moves to the start of the
/// input area, clears to the end of the screen, prints the line (the terminal scrolls), and draws the prompt and the
/// input again with the cursor where it was. Uses only CR, CUU (ESC [ n A), CHA (ESC [ n G), ED (ESC [ J) and SGR,
/// which every terminal since the VT100 understands. Wide characters and wrapping are laid out the way terminals
/// lay them out (a wide character that does not fit in the last column moves to the next row).
/// </summary>
public sealed class ScreenRenderer(ITerminalOutput output, LineEditor editor)
{
    private int _cursorRow;   // the cursor's row within the input area as last drawn
    private bool _drawn;

    public string Prompt { get; set; } = "> ";

    /// <summary>Shows each typed character as '*' (a password).</summary>
    public bool Masked { get; set; }

    /// <summary>Prints lines above the input and redraws it.</summary>
    public void PrintAbove(string styledLine)
    {
        var sb = new StringBuilder();
        EraseInput(sb);
        sb.Append(styledLine).Append("\r\n");
        DrawInput(sb);
        output.Write(sb.ToString());
        output.Flush();
    }

    /// <summary>Draws the input again (after an edit or a resize).</summary>
    public void Redraw()
    {
        var sb = new StringBuilder();
        EraseInput(sb);
        DrawInput(sb);
        output.Write(sb.ToString());
        output.Flush();
    }

    /// <summary>Leaves the input area as it is and moves below it (before exiting).</summary>
    public void Finish()
    {
        var sb = new StringBuilder();
        EraseInput(sb);
        output.Write(sb.ToString());
        output.Flush();
        _drawn = false;
    }

    private void EraseInput(StringBuilder sb)
    {
        if (!_drawn) return;
        sb.Append('\r');
        if (_cursorRow > 0) sb.Append("\u001b[").Append(_cursorRow).Append('A');
        sb.Append("\u001b[J");
    }

    private void DrawInput(StringBuilder sb)
    {
        var cols = Math.Max(2, output.Width);
        var cells = new List<(string Text, int Width)>();
        foreach (var e in TextWidth.Elements(Prompt)) cells.Add((e, TextWidth.OfElement(e)));
        var promptCount = cells.Count;
        foreach (var e in editor.Elements) cells.Add(Masked ? ("*", 1) : (e, Math.Max(0, TextWidth.OfElement(e))));

        // Lay out as the terminal will: the row and column where each cell starts, and where the text ends.
        int row = 0, col = 0, cursorRow = 0, cursorCol = 0;
        var endsInPendingWrap = false;
        var cursorIndex = promptCount + editor.Cursor;
        for (var i = 0; i <= cells.Count; i++)
        {
            endsInPendingWrap = false;
            if (col >= cols) { row++; col = 0; endsInPendingWrap = true; }
            if (i < cells.Count && cells[i].Width == 2 && col == cols - 1) { row++; col = 0; }
            if (i == cursorIndex) { cursorRow = row; cursorCol = col; }
            if (i == cells.Count) break;
            col += cells[i].Width;
        }
        if (promptCount > 0) sb.Append("\u001b[1m");
        for (var i = 0; i < cells.Count; i++)
        {
            if (i == promptCount) sb.Append("\u001b[0m");
            sb.Append(cells[i].Text);
        }
        if (promptCount == cells.Count) sb.Append("\u001b[0m");
        if (endsInPendingWrap && cells.Count > 0)
        {
            // The terminal waits in its "pending wrap" state at the last column; make the wrap happen so that
            // every terminal agrees on where the cursor is.
            sb.Append(" \r");
        }
        if (row > cursorRow) sb.Append("\u001b[").Append(row - cursorRow).Append('A');
        sb.Append("\u001b[").Append(cursorCol + 1).Append('G');
        _cursorRow = cursorRow;
        _drawn = true;
    }
}
