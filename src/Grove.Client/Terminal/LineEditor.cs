namespace Grove.Client.Terminal;

/// <summary>
/// The line being typed: text elements and a cursor between them, with the usual editing keys and a history of
/// submitted lines (up and down keep the draft). No I/O: the screen renderer draws it.
/// </summary>
public sealed class LineEditor
{
    private readonly List<string> _elements = new();
    private readonly List<string> _history = new();
    private int _historyIndex; // == _history.Count while editing the draft
    private string _draft = "";
    private char? _pendingHighSurrogate;

    public int Cursor { get; private set; }
    public string Text => string.Concat(_elements);
    public IReadOnlyList<string> Elements => _elements;
    public IReadOnlyList<string> History => _history;

    public void Insert(char c)
    {
        if (char.IsHighSurrogate(c)) { _pendingHighSurrogate = c; return; }
        string s;
        if (char.IsLowSurrogate(c))
        {
            if (_pendingHighSurrogate is not { } high) return;
            s = new string([high, c]);
            _pendingHighSurrogate = null;
        }
        else s = c.ToString();
        Insert(s);
    }

    public void Insert(string s)
    {
        if (s.Length == 0) return;
        // Re-split around the cursor so combining marks and joiners attach to what precedes them.
        var before = string.Concat(_elements.Take(Cursor)) + s;
        var after = string.Concat(_elements.Skip(Cursor));
        var beforeElements = TextWidth.Elements(before);
        _elements.Clear();
        _elements.AddRange(TextWidth.Elements(before + after));
        Cursor = Math.Min(beforeElements.Count, _elements.Count);
    }

    public void Left() { if (Cursor > 0) Cursor--; }
    public void Right() { if (Cursor < _elements.Count) Cursor++; }
    public void Home() => Cursor = 0;
    public void End() => Cursor = _elements.Count;

    public void Backspace()
    {
        if (Cursor == 0) return;
        _elements.RemoveAt(--Cursor);
    }

    public void Delete()
    {
        if (Cursor < _elements.Count) _elements.RemoveAt(Cursor);
    }

    public void Clear()
    {
        _elements.Clear();
        Cursor = 0;
    }

    public void Up()
    {
        if (_historyIndex == 0) return;
        if (_historyIndex == _history.Count) _draft = Text;
        _historyIndex--;
        Set(_history[_historyIndex]);
    }

    public void Down()
    {
        if (_historyIndex >= _history.Count) return;
        _historyIndex++;
        Set(_historyIndex == _history.Count ? _draft : _history[_historyIndex]);
    }

    /// <summary>Takes the line (remembered in the history when not empty, unless it is a secret) and starts a new one.</summary>
    public string Submit(bool secret = false)
    {
        var line = Text;
        if (!secret && line.Length > 0 && (_history.Count == 0 || _history[^1] != line)) _history.Add(line);
        _historyIndex = _history.Count;
        _draft = "";
        Clear();
        return line;
    }

    private void Set(string text)
    {
        _elements.Clear();
        _elements.AddRange(TextWidth.Elements(text));
        Cursor = _elements.Count;
    }
}
