using System.Text;

namespace Grove.Wire.Irc;

/// <summary>
/// One IRC message (RFC 1459 section 2.3.1, with IRCv3 message tags): <c>[@tags] [:source] COMMAND [params…] [:trailing]</c>.
/// Parsing never throws: malformed input yields null.
/// </summary>
public sealed class IrcMessage
{
    public IReadOnlyDictionary<string, string> Tags { get; init; } = Empty;
    public string? Source { get; init; }
    public string Command { get; init; } = "";
    public IReadOnlyList<string> Params { get; init; } = [];

    private static readonly Dictionary<string, string> Empty = new();

    public string this[int i] => i < Params.Count ? Params[i] : "";

    /// <summary>Parses a line without its CR LF. Returns null when there is no command.</summary>
    public static IrcMessage? Parse(string line)
    {
        var i = 0;
        Dictionary<string, string>? tags = null;
        if (line.StartsWith('@'))
        {
            var end = line.IndexOf(' ');
            if (end < 0) return null;
            tags = ParseTags(line.AsSpan(1, end - 1));
            i = end + 1;
        }
        while (i < line.Length && line[i] == ' ') i++;
        string? source = null;
        if (i < line.Length && line[i] == ':')
        {
            var end = line.IndexOf(' ', i);
            if (end < 0) return null;
            source = line[(i + 1)..end];
            i = end + 1;
        }
        while (i < line.Length && line[i] == ' ') i++;
        var cmdEnd = line.IndexOf(' ', i);
        if (cmdEnd < 0) cmdEnd = line.Length;
        var command = line[i..cmdEnd];
        // RFC 1459 2.3.1: command = 1*letter / 3digit. Anything else is not a message.
        if (command.Length == 0 || !(command.All(char.IsAsciiLetter) || command.Length == 3 && command.All(char.IsAsciiDigit))) return null;
        i = cmdEnd;
        var ps = new List<string>();
        while (i < line.Length)
        {
            while (i < line.Length && line[i] == ' ') i++;
            if (i >= line.Length) break;
            if (line[i] == ':')
            {
                ps.Add(line[(i + 1)..]);
                break;
            }
            var end = line.IndexOf(' ', i);
            if (end < 0) end = line.Length;
            ps.Add(line[i..end]);
            i = end;
        }
        return new IrcMessage { Tags = (IReadOnlyDictionary<string, string>?)tags ?? Empty, Source = source, Command = command.ToUpperInvariant(), Params = ps };
    }

    private static Dictionary<string, string> ParseTags(ReadOnlySpan<char> text)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var range in text.Split(';'))
        {
            var part = text[range];
            if (part.Length == 0) continue;
            var eq = part.IndexOf('=');
            var key = (eq < 0 ? part : part[..eq]).ToString();
            var value = eq < 0 ? "" : UnescapeTagValue(part[(eq + 1)..]);
            tags[key] = value; // a repeated key: the last one wins (IRCv3 message-tags)
        }
        return tags;
    }

    /// <summary>IRCv3 tag value escaping: \: ; \s space, \\ backslash, \r, \n.</summary>
    public static string EscapeTagValue(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                ';' => "\\:",
                ' ' => "\\s",
                '\\' => "\\\\",
                '\r' => "\\r",
                '\n' => "\\n",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    public static string UnescapeTagValue(ReadOnlySpan<char> value)
    {
        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\') { sb.Append(value[i]); continue; }
            if (++i >= value.Length) break; // a trailing backslash is dropped
            sb.Append(value[i] switch { ':' => ';', 's' => ' ', 'r' => '\r', 'n' => '\n', var other => other });
        }
        return sb.ToString();
    }

    /// <summary>
    /// Writes a message line with CR LF. Every parameter but the last must be non-empty without spaces or a leading
    /// ':'; the last is written as trailing when it needs to be. CR, LF and NUL never reach the output.
    /// </summary>
    public static string Format(string? source, string command, params ReadOnlySpan<string> ps) => Build(source, command, ps, alwaysTrailing: false);

    /// <summary>Like <see cref="Format"/>, but the last parameter is always written as trailing (":text"), as
    /// servers do for message text, reasons and numerics' prose.</summary>
    public static string Text(string? source, string command, params ReadOnlySpan<string> ps) => Build(source, command, ps, alwaysTrailing: true);

    private static string Build(string? source, string command, ReadOnlySpan<string> ps, bool alwaysTrailing)
    {
        var sb = new StringBuilder(64);
        if (source is not null) sb.Append(':').Append(source).Append(' ');
        sb.Append(command);
        for (var i = 0; i < ps.Length; i++)
        {
            var p = Clean(ps[i]);
            sb.Append(' ');
            var last = i == ps.Length - 1;
            if (last && (alwaysTrailing || p.Length == 0 || p.Contains(' ') || p[0] == ':')) sb.Append(':');
            else if (!last && (p.Length == 0 || p.Contains(' ') || p[0] == ':')) p = p.Replace(' ', '_').TrimStart(':') is { Length: > 0 } fixedP ? fixedP : "*";
            sb.Append(p);
        }
        sb.Append("\r\n");
        return sb.ToString();
    }

    private static string Clean(string p)
    {
        if (p.AsSpan().IndexOfAny('\r', '\n', '\0') < 0) return p;
        return p.Replace('\r', ' ').Replace('\n', ' ').Replace('\0', ' ');
    }

    public override string ToString() => Format(Source, Command, Params.ToArray()).TrimEnd();
}
