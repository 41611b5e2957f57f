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

    /// <summary>
    /// The tags of a line, without the '@'. A tag whose key breaks the message-tags grammar is dropped, so nothing
    /// downstream (relaying client-only tags above all) ever sees a key holding CR, ESC, '=' or a space.
    /// </summary>
    public static Dictionary<string, string> ParseTags(ReadOnlySpan<char> text)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var range in text.Split(';'))
        {
            var part = text[range];
            if (part.Length == 0) continue;
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq];
            if (!IsValidTagKey(key)) continue;
            var value = eq < 0 ? "" : UnescapeTagValue(part[(eq + 1)..]);
            tags[key.ToString()] = value; // a repeated key: the last one wins (IRCv3 message-tags)
        }
        return tags;
    }

    /// <summary>
    /// IRCv3 message-tags: <c>key = [ '+' ] [ vendor '/' ] key_name</c>, key_name one or more ASCII letters, digits
    /// and hyphens, vendor a host name (letters, digits, hyphens and dots).
    /// </summary>
    public static bool IsValidTagKey(ReadOnlySpan<char> key)
    {
        if (key.Length > 0 && key[0] == '+') key = key[1..];
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (name.Length == 0) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        if (slash < 0) return true;
        var vendor = key[..slash];
        if (vendor.Length == 0) return false;
        foreach (var c in vendor)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.')) return false;
        return true;
    }

    /// <summary>
    /// IRCv3 tag value escaping: \: ; \s space, \\ backslash, \r, \n. Other characters <see cref="TextRules.Clean"/>
    /// forbids on a line (NUL, ESC, C1…) are dropped: the spec gives them no escape.
    /// </summary>
    public static string EscapeTagValue(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            switch (c)
            {
                case ';': sb.Append("\\:"); break;
                case ' ': sb.Append("\\s"); break;
                case '\\': sb.Append("\\\\"); break;
                case '\r': sb.Append("\\r"); break;
                case '\n': sb.Append("\\n"); break;
                default:
                    if (!TextRules.IsForbidden(c, TextTarget.Line)) sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Tags as a line carries them, without the '@': "key" or "key=escaped value", joined by ';'.</summary>
    public static string FormatTags(IEnumerable<KeyValuePair<string, string>> tags) =>
        string.Join(';', tags.Where(t => IsValidTagKey(t.Key)).Select(t => t.Value.Length == 0 ? t.Key : t.Key + "=" + EscapeTagValue(t.Value)));

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
    /// ':'; the last is written as trailing when it needs to be. The source and every parameter are cleaned by
    /// <see cref="TextRules.Clean"/> (line rule): no CR, LF, NUL, ESC or other control but CTCP and formatting goes out.
    /// </summary>
    public static string Format(string? source, string command, params ReadOnlySpan<string> ps) => Build(source, command, ps, alwaysTrailing: false);

    /// <summary>Like <see cref="Format"/>, but the last parameter is always written as trailing (":text"), as
    /// servers do for message text, reasons and numerics' prose.</summary>
    public static string Text(string? source, string command, params ReadOnlySpan<string> ps) => Build(source, command, ps, alwaysTrailing: true);

    private static string Build(string? source, string command, ReadOnlySpan<string> ps, bool alwaysTrailing)
    {
        var sb = new StringBuilder(64);
        // The source is an identity some peer chose parts of: no line break, and no space to shift the command.
        if (source is not null) sb.Append(':').Append(Clean(source).Replace(' ', '_')).Append(' ');
        sb.Append(Clean(command));
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

    private static string Clean(string p) => TextRules.Clean(p, TextTarget.Line);

    public override string ToString() => Format(Source, Command, Params.ToArray()).TrimEnd();
}
