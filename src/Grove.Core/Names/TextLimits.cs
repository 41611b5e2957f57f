namespace Grove.Core.Names;

/// <summary>Rules for free text (messages, topics, reasons) that every door shares.</summary>
public static class TextLimits
{
    public const int MaxTopicLength = 390;
    public const int MaxReasonLength = 200;

    /// <summary>Replaces NUL, CR and LF (which would split or forge lines on some door) with spaces.</summary>
    public static string RemoveLineBreaks(string text)
    {
        if (text.AsSpan().IndexOfAny('\0', '\r', '\n') < 0) return text;
        return string.Create(text.Length, text, static (dst, src) =>
        {
            for (var i = 0; i < src.Length; i++) dst[i] = src[i] is '\0' or '\r' or '\n' ? ' ' : src[i];
        });
    }

    /// <summary>Cuts a reason to its limit and removes line breaks.</summary>
    public static string CleanReason(string? reason, string fallback)
    {
        if (string.IsNullOrWhiteSpace(reason)) return fallback;
        var r = RemoveLineBreaks(reason.Trim());
        return r.Length <= MaxReasonLength ? r : r[..MaxReasonLength];
    }
}
