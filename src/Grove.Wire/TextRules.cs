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

    /// <summary>Removes the characters a terminal would interpret (see <see cref="IsTerminalControl"/>); returns the input when clean.</summary>
    public static string StripTerminalControls(string text)
    {
        var i = 0;
        while (i < text.Length && !IsTerminalControl(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
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
                continue;
            }
            if (!IsTerminalControl(c)) sb.Append(c);
        }
        return sb.ToString();
    }
}
