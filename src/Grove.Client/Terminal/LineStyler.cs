using System.Text;
using System.Text.RegularExpressions;

namespace Grove.Client.Terminal;

/// <summary>
/// Colours for lines from the plain door: each name a stable colour, your own lines highlighted, private messages,
/// notices and errors each their own style. With colour off it only removes control characters.
/// </summary>
public sealed partial class LineStyler(bool color)
{
    private const string Reset = "\u001b[0m";
    // Ten hues of the xterm 256-colour cube, each with a contrast ratio of at least 3.5 against both a black and a
    // white background (the 16 basic colours differ per terminal; dark blue on black and yellow on white are unreadable).
    private static readonly string[] Palette = [.. new[] { 166, 100, 64, 28, 30, 32, 63, 98, 133, 168 }.Select(n => $"\u001b[38;5;{n}m")];

    public bool Color { get; } = color;

    [GeneratedRegex("^(?<name>[A-Za-z\\[\\]\\\\`_^{|}][A-Za-z0-9\\[\\]\\\\`_^{|}-]*): (?<text>.*)$")]
    private static partial Regex MessageLine();

    [GeneratedRegex("^(?<stamp>\\[history [^\\]]*\\] )(?<rest>.*)$")]
    private static partial Regex HistoryLine();

    /// <summary>A stable colour for a name, the same in every session (FNV-1a of the lower-case name).</summary>
    public static string ColorOf(string name)
    {
        uint h = 2166136261;
        foreach (var c in name.ToLowerInvariant()) { h ^= c; h *= 16777619; }
        return Palette[h % (uint)Palette.Length];
    }

    public string Style(string line, string? myName)
    {
        line = Grove.Wire.TextRules.StripTerminalControls(line);
        if (!Color) return line;
        var h = HistoryLine().Match(line);
        if (h.Success) return "\u001b[2m" + h.Groups["stamp"].Value + Reset + Style(h.Groups["rest"].Value, myName);
        if (line.StartsWith("! ", StringComparison.Ordinal)) return "\u001b[31;1m" + line + Reset;
        if (line.StartsWith("[private", StringComparison.Ordinal)) return "\u001b[35;1m" + line + Reset;
        if (line.StartsWith("* ", StringComparison.Ordinal) || line.StartsWith("-", StringComparison.Ordinal)) return "\u001b[90m" + line + Reset;
        var m = MessageLine().Match(line);
        if (m.Success)
        {
            var name = m.Groups["name"].Value;
            var sb = new StringBuilder();
            var mine = myName is not null && string.Equals(name, myName, StringComparison.OrdinalIgnoreCase);
            sb.Append(mine ? "\u001b[1;7m" : "\u001b[1m" + ColorOf(name)).Append(name).Append(Reset).Append(": ");
            sb.Append(mine ? "\u001b[1m" + m.Groups["text"].Value + Reset : m.Groups["text"].Value);
            return sb.ToString();
        }
        return line;
    }

    /// <summary>Your own line as you sent it, highlighted the same way.</summary>
    public string Own(string text, string myName, bool action)
    {
        var plain = action ? $"* {myName} {text}" : $"{myName}: {text}";
        if (!Color) return Grove.Wire.TextRules.StripTerminalControls(plain);
        return action ? "\u001b[1m" + Grove.Wire.TextRules.StripTerminalControls(plain) + Reset : Style(plain, myName);
    }
}
