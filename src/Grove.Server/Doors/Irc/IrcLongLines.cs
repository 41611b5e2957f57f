using System.Text;
using Grove.Core.Events;
using Grove.Wire;

namespace Grove.Server.Doors.Irc;

/// <summary>No line over 512 bytes reaches an IRC client: a long message from another door is sent as several.</summary>
public static class IrcLongLines
{
    /// <summary>
    /// A message as one line, or, when the line would pass 512 bytes (RFC 1459 2.3, tags not counted), as several
    /// lines split at spaces where it can (never inside a UTF-8 character): IRC clients cut longer lines silently.
    /// </summary>
    public static void AppendMessage(StringBuilder sb, string tags, string prefix, string target, string text, MessageKind kind)
    {
        var whole = IrcRenderer.Message(prefix, target, text, kind);
        if (TextRules.Utf8.GetByteCount(whole) <= IrcServerInfo.MaxLineBytes)
        {
            sb.Append(tags).Append(whole);
            return;
        }
        var room = IrcServerInfo.MaxLineBytes - TextRules.Utf8.GetByteCount(IrcRenderer.Message(prefix, target, "", kind));
        foreach (var piece in SplitText(text, Math.Max(room, 16)))
            sb.Append(tags).Append(IrcRenderer.Message(prefix, target, piece, kind));
    }

    /// <summary>Pieces of at most maxBytes UTF-8 bytes each, broken after a space when there is one in the piece.</summary>
    public static List<string> SplitText(string text, int maxBytes)
    {
        var pieces = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            int end = start, bytes = 0, lastSpace = -1;
            while (end < text.Length)
            {
                var width = char.IsHighSurrogate(text[end]) && end + 1 < text.Length ? 2 : 1;
                var size = TextRules.Utf8.GetByteCount(text.AsSpan(end, width));
                if (bytes + size > maxBytes) break;
                bytes += size;
                end += width;
                if (text[end - 1] == ' ') lastSpace = end;
            }
            // Break after the last space, unless that leaves a piece too small to be worth it (one long word).
            if (end < text.Length && lastSpace > start + (end - start) / 2) end = lastSpace;
            pieces.Add(text[start..end]);
            start = end;
        }
        return pieces;
    }
}
