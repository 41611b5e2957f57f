namespace Grove.Client;

/// <summary>
/// After a reconnect the server replays a room's recent history, most of which was already on screen. This remembers
/// the lines shown (bounded) and, in the replay that follows a reconnect, hides the history lines seen before, in
/// order, so only what was said during the outage appears. It also hides #lobby's replay when the client is about to
/// go back to another room.
/// </summary>
internal sealed class ReplayFilter
{
    private const int Remembered = 500;
    private const string HistoryPrefix = "[history ";
    private readonly List<string> _seen = new();
    private readonly object _gate = new();
    private bool _deduping;
    private int _position; // where the replay's next line is looked for in _seen
    private string? _rejoining;

    /// <summary>A line that is now on screen (a server line, or the person's own line as the server would show it).</summary>
    public void Shown(string line)
    {
        lock (_gate)
        {
            _seen.Add(Content(line));
            if (_seen.Count > Remembered)
            {
                var drop = _seen.Count - Remembered;
                _seen.RemoveRange(0, drop);
                _position = Math.Max(0, _position - drop);
            }
        }
    }

    /// <summary>A new connection is registered; <paramref name="rejoining"/> is the room the client goes back to, if not #lobby.</summary>
    public void Reconnected(string? rejoining)
    {
        lock (_gate)
        {
            _deduping = true;
            _position = 0;
            _rejoining = rejoining;
        }
    }

    /// <summary>The person typed something: what follows is an answer to them, not a replay.</summary>
    public void Typed()
    {
        lock (_gate)
        {
            _deduping = false;
            _rejoining = null;
        }
    }

    /// <summary>False for a line of a replay already seen.</summary>
    public bool ShouldShow(string line)
    {
        lock (_gate)
        {
            if (!_deduping) return true;
            if (_rejoining is not null)
            {
                if (line.StartsWith("* You joined " + _rejoining, StringComparison.OrdinalIgnoreCase)) { _rejoining = null; _position = 0; }
                else if (line.StartsWith("! ", StringComparison.Ordinal)) _rejoining = null; // the rejoin failed: stay in #lobby
                else if (line.StartsWith(HistoryPrefix, StringComparison.Ordinal)) return false;
                return true;
            }
            if (!line.StartsWith(HistoryPrefix, StringComparison.Ordinal)) return true;
            var content = Content(line);
            var at = _seen.IndexOf(content, _position);
            if (at < 0)
            {
                _deduping = false; // from here on the replay is new
                return true;
            }
            _position = at + 1;
            return false;
        }
    }

    // "[history 10:31] bob: hi" and the live "bob: hi" are the same line.
    private static string Content(string line)
    {
        if (!line.StartsWith(HistoryPrefix, StringComparison.Ordinal)) return line;
        var end = line.IndexOf("] ", StringComparison.Ordinal);
        return end < 0 ? line : line[(end + 2)..];
    }
}
