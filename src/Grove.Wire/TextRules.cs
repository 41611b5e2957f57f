using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Grove.Wire;

/// <summary>Decoding and cleaning of text that arrives from a peer.</summary>
public static class TextRules
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>UTF-8 without a byte-order mark, for everything Grove writes.</summary>
    public static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Decodes strictly: false when the bytes are not valid UTF-8 (nothing is replaced silently).</summary>
    public static bool TryDecodeUtf8(in ReadOnlySequence<byte> bytes, out string text)
    {
        if (bytes.IsSingleSegment)
        {
            var span = bytes.FirstSpan;
            if (!System.Text.Unicode.Utf8.IsValid(span)) { text = ""; return false; }
            text = StrictUtf8.GetString(span);
            return true;
        }
        var array = bytes.ToArray();
        if (!System.Text.Unicode.Utf8.IsValid(array)) { text = ""; return false; }
        text = StrictUtf8.GetString(array);
        return true;
    }

    /// <summary>True for characters that must never travel inside a line: NUL, CR and LF.</summary>
    public static bool IsLineBreaking(char c) => c is '\0' or '\r' or '\n';

    /// <summary>
    /// True for characters a terminal would interpret rather than show: C0 controls except tab, DEL, C1 controls.
    /// ESC in particular would let one person repaint another person's netcat terminal.
    /// </summary>
    public static bool IsTerminalControl(char c) => (c < 0x20 && c != '\t') || (c >= 0x7F && c <= 0x9F);

    /// <summary>IRC's CTCP delimiter and formatting codes (bold, colour, hex colour, reset, monospace, reverse, italic, strike, underline).</summary>
    private static bool IsIrcFormatting(char c) => c is '\x01' or '\x02' or '\x03' or '\x04' or '\x0F' or '\x11' or '\x16' or '\x1D' or '\x1E' or '\x1F';

    /// <summary>
    /// The one rule for what text a peer set may not carry out to a door. <see cref="TextTarget.Line"/> (IRC, web):
    /// every C0 control but tab and IRC's CTCP and formatting codes, DEL and C1 (CR, LF and NUL would forge lines, ESC and
    /// CSI would drive a terminal client). <see cref="TextTarget.Terminal"/> (plain door, terminal client): every
    /// control but tab, formatting codes included, since a netcat user's terminal shows none of them as meant.
    /// </summary>
    public static bool IsForbidden(char c, TextTarget target) => target == TextTarget.Terminal
        ? IsTerminalControl(c)
        : c < 0x20 ? c != '\t' && !IsIrcFormatting(c) : c >= 0x7F && c <= 0x9F;

    /// <summary>
    /// Applies <see cref="IsForbidden"/>: CR, LF and NUL become a space (words on either side stay apart), other
    /// forbidden characters are removed, and for a terminal a colour code's digits go with it. Returns the input when clean.
    /// </summary>
    public static string Clean(string? text, TextTarget target)
    {
        if (text is null) return "";
        var i = 0;
        while (i < text.Length && !IsForbidden(text[i], target)) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (!IsForbidden(c, target)) { sb.Append(c); continue; }
            if (IsLineBreaking(c)) { sb.Append(' '); continue; }
            if (c == '\x03')
            {
                // mIRC colour code: drop the "fg[,bg]" digits that follow it as well.
                var digits = 0;
                while (digits < 2 && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])) { i++; digits++; }
                if (digits > 0 && i + 2 < text.Length && text[i + 1] == ',' && char.IsAsciiDigit(text[i + 2]))
                {
                    i += 2;
                    if (i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])) i++;
                }
            }
        }
        return sb.ToString();
    }

    /// <summary>Text for a terminal: <see cref="Clean"/> with <see cref="TextTarget.Terminal"/>.</summary>
    public static string StripTerminalControls(string text) => Clean(text, TextTarget.Terminal);

    // Besides controls, Unicode's line and paragraph separators (a new line to some log viewers) and the bidi
    // controls (which make a viewer show a line's words in another order) are shown as escapes.
    private static bool EscapedInLog(char c) =>
        IsTerminalControl(c) || c is '\u2028' or '\u2029' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    /// <summary>
    /// A log line's text with every control character written out (\r, \n, \t stays, others as \xNN or \uNNNN), so a
    /// value from a client can neither start a forged log line nor drive the terminal that shows the console log.
    /// </summary>
    public static string EscapeForLog(string text)
    {
        var i = 0;
        while (i < text.Length && !EscapedInLog(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (!EscapedInLog(c)) sb.Append(c);
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\n') sb.Append("\\n");
            else if (c < 0x80) sb.Append("\\x").Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}

/// <summary>Where cleaned text goes: see <see cref="TextRules.IsForbidden"/>.</summary>
public enum TextTarget
{
    /// <summary>A protocol line or JSON value (IRC, web): no line breaks, no terminal escapes; IRC formatting stays.</summary>
    Line,
    /// <summary>A terminal (plain door, terminal client): no control character but tab.</summary>
    Terminal,
}
