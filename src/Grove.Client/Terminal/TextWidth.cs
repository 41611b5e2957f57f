using System.Globalization;
using System.Text;

namespace Grove.Client.Terminal;

/// <summary>
/// How many terminal columns text takes: 2 for East Asian wide and fullwidth characters and emoji, 0 for combining
/// marks and joiners, 1 otherwise. Measured per text element (grapheme cluster), so an emoji ZWJ sequence or a
/// letter with a combining accent moves the cursor once.
/// </summary>
public static class TextWidth
{
    public static int Of(string text)
    {
        var width = 0;
        var e = StringInfo.GetTextElementEnumerator(text);
        while (e.MoveNext()) width += OfElement((string)e.Current);
        return width;
    }

    public static int OfElement(string element)
    {
        if (element.Length == 0) return 0;
        var rune = Rune.GetRuneAt(element, 0);
        var w = OfRune(rune);
        // A variation selector 16 asks for emoji presentation: two columns.
        if (w == 1 && element.Contains('\uFE0F')) return 2;
        return w;
    }

    public static int OfRune(Rune r)
    {
        var v = r.Value;
        if (v == 0) return 0;
        if (v < 32 || (v >= 0x7F && v < 0xA0)) return 0;
        var cat = Rune.GetUnicodeCategory(r);
        if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format) return 0;
        if (v is >= 0x1100 and <= 0x115F // Hangul Jamo
            or >= 0x2E80 and <= 0x303E // CJK radicals, punctuation
            or >= 0x3041 and <= 0x33FF // kana, CJK symbols
            or >= 0x3400 and <= 0x4DBF // CJK extension A
            or >= 0x4E00 and <= 0x9FFF // CJK unified
            or >= 0xA000 and <= 0xA4CF // Yi
            or >= 0xAC00 and <= 0xD7A3 // Hangul syllables
            or >= 0xF900 and <= 0xFAFF // CJK compatibility
            or >= 0xFE30 and <= 0xFE4F
            or >= 0xFF00 and <= 0xFF60 // fullwidth forms
            or >= 0xFFE0 and <= 0xFFE6
            or >= 0x1F300 and <= 0x1F64F // pictographs, emoticons
            or >= 0x1F900 and <= 0x1F9FF // supplemental symbols and pictographs
            or >= 0x1FA70 and <= 0x1FAFF
            or >= 0x1F680 and <= 0x1F6FF // transport and map
            or >= 0x20000 and <= 0x3FFFD)
            return 2;
        if (v is >= 0x2600 and <= 0x27BF && IsWideSymbol(v)) return 2;
        return 1;
    }

    // The few dingbats and miscellaneous symbols that terminals draw wide by default (Emoji_Presentation=Yes).
    private static bool IsWideSymbol(int v) => v is 0x2614 or 0x2615 or 0x2648 or 0x2649 or 0x264A or 0x264B or 0x264C or 0x264D
        or 0x264E or 0x264F or 0x2650 or 0x2651 or 0x2652 or 0x2653 or 0x267F or 0x2693 or 0x26A1 or 0x26AA or 0x26AB
        or 0x26BD or 0x26BE or 0x26C4 or 0x26C5 or 0x26CE or 0x26D4 or 0x26EA or 0x26F2 or 0x26F3 or 0x26F5 or 0x26FA
        or 0x26FD or 0x2705 or 0x270A or 0x270B or 0x2728 or 0x274C or 0x274E or 0x2753 or 0x2754 or 0x2755 or 0x2757
        or 0x2795 or 0x2796 or 0x2797 or 0x27B0 or 0x27BF;

    /// <summary>The text elements of a string, in order.</summary>
    public static List<string> Elements(string text)
    {
        var list = new List<string>(text.Length);
        var e = StringInfo.GetTextElementEnumerator(text);
        while (e.MoveNext()) list.Add((string)e.Current);
        return list;
    }
}
