using System.Text;
using Grove.Client.Terminal;

namespace Grove.Client.Tests;

/// <summary>
/// A fake console surface: a grid of cells that interprets the control sequences a VT100-style terminal would
/// (CR, LF, BS, CUU, CHA, ED, SGR) and lays out wide characters and wrapping the way xterm does, including the
/// "pending wrap" state at the last column. Scrolls when a line feed reaches the bottom.
/// </summary>
public sealed class VirtualTerminal(int width, int height) : ITerminalOutput
{
    private readonly List<string[]> _rows = Enumerable.Range(0, height).Select(_ => NewRow(width)).ToList();
    private bool _pendingWrap;

    public int Width { get; set; } = width;
    public int Height { get; } = height;
    public int Row { get; private set; }
    public int Col { get; private set; }
    public List<string> ScrolledOff { get; } = new();

    private static string[] NewRow(int w) => Enumerable.Repeat(" ", w).ToArray();

    public void Flush() { }

    public void Write(string text)
    {
        var i = 0;
        var elements = TextWidth.Elements(text);
        for (; i < elements.Count; i++)
        {
            var e = elements[i];
            switch (e)
            {
                case "\r": Col = 0; _pendingWrap = false; break;
                case "\n": LineFeed(); break;
                case "\r\n": Col = 0; _pendingWrap = false; LineFeed(); break;
                case "\b": if (Col > 0) Col--; _pendingWrap = false; break;
                case "\u001b":
                    i = Escape(elements, i);
                    break;
                default:
                    Put(e);
                    break;
            }
        }
    }

    private int Escape(List<string> elements, int i)
    {
        if (i + 1 >= elements.Count || elements[i + 1] != "[") throw new InvalidOperationException("unsupported escape");
        var j = i + 2;
        var args = new StringBuilder();
        while (j < elements.Count && (char.IsAsciiDigit(elements[j][0]) || elements[j] == ";")) args.Append(elements[j++]);
        var final = elements[j];
        var n = args.Length == 0 ? 1 : int.Parse(args.ToString().Split(';')[0]);
        switch (final)
        {
            case "A": Row = Math.Max(0, Row - n); _pendingWrap = false; break;
            case "G": Col = Math.Clamp(n - 1, 0, Width - 1); _pendingWrap = false; break;
            case "H": Row = 0; Col = 0; _pendingWrap = false; break;
            case "J":
                var mode = args.Length == 0 ? 0 : n;
                if (mode == 2) { for (var r = 0; r < Height; r++) _rows[r] = NewRow(Width); }
                else
                {
                    for (var c = Col; c < Width; c++) _rows[Row][c] = " ";
                    for (var r = Row + 1; r < Height; r++) _rows[r] = NewRow(Width);
                }
                break;
            case "m": break;
            default: throw new InvalidOperationException($"unsupported sequence ESC [ {args} {final}");
        }
        return j;
    }

    private void LineFeed()
    {
        _pendingWrap = false;
        if (Row == Height - 1)
        {
            ScrolledOff.Add(RowText(0));
            _rows.RemoveAt(0);
            _rows.Add(NewRow(Width));
        }
        else Row++;
    }

    private void Put(string element)
    {
        var w = TextWidth.OfElement(element);
        if (w == 0)
        {
            // Combining: attach to the previous cell.
            var c = Col > 0 ? Col - 1 : 0;
            _rows[Row][c] += element;
            return;
        }
        if (_pendingWrap) { Col = 0; LineFeed(); }
        if (w == 2 && Col == Width - 1) { Col = 0; LineFeed(); }
        _rows[Row][Col] = element;
        if (w == 2) _rows[Row][Col + 1] = "";
        Col += w;
        if (Col >= Width) { Col = Width - 1; _pendingWrap = true; }
    }

    public string RowText(int r) => string.Concat(_rows[r]).TrimEnd();

    public IEnumerable<string> Lines => Enumerable.Range(0, Height).Select(RowText);

    /// <summary>Everything printed, scrolled-off lines included, without trailing blank rows.</summary>
    public List<string> AllText()
    {
        var all = ScrolledOff.Concat(Lines).ToList();
        while (all.Count > 0 && all[^1].Length == 0) all.RemoveAt(all.Count - 1);
        return all;
    }
}
