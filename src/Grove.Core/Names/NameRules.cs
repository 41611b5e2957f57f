namespace Grove.Core.Names;

/// <summary>
/// The one rule for people's names and room names, used by every door.
/// Names compare case-insensitively with ASCII case mapping (IRC's CASEMAPPING=ascii): A-Z fold to a-z, nothing else folds.
/// </summary>
public static class NameRules
{
    public const int MaxNameLength = 32;
    public const int MaxRoomNameLength = 50; // characters after the '#'
    public const string DefaultRoom = "#lobby";

    /// <summary>Names nobody may take, because the server speaks with them.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "grove", "server", "system", "nickserv", "chanserv" };

    /// <summary>The form under which names and rooms are compared and stored as keys.</summary>
    public static string Fold(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsAsciiLetterUpper(name[i]))
                return string.Create(name.Length, name, static (dst, src) =>
                {
                    for (var j = 0; j < src.Length; j++)
                        dst[j] = char.IsAsciiLetterUpper(src[j]) ? (char)(src[j] | 0x20) : src[j];
                });
        }
        return name;
    }

    public static bool NamesEqual(string a, string b) => Fold(a) == Fold(b);

    /// <summary>
    /// Checks a person's name: 1 to 32 characters of an IRC nickname (RFC 2812 section 2.3.1): a letter or one of
    /// <c>[]\`_^{|}</c> first, then letters, digits, those specials or '-'. Returns null when valid, else why not.
    /// </summary>
    public static string? ValidateName(string name)
    {
        if (name.Length == 0) return "A name cannot be empty.";
        if (name.Length > MaxNameLength) return $"A name can be at most {MaxNameLength} characters long.";
        if (!IsNameStart(name[0]))
            return "A name must start with a letter or one of [ ] \\ ` _ ^ { | }.";
        for (var i = 1; i < name.Length; i++)
        {
            if (!IsNameStart(name[i]) && !char.IsAsciiDigit(name[i]) && name[i] != '-')
                return "A name may contain only letters A-Z, digits, '-' and [ ] \\ ` _ ^ { | }.";
        }
        if (Reserved.Contains(Fold(name))) return $"The name \"{name}\" is reserved.";
        return null;
    }

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c is '[' or ']' or '\\' or '`' or '_' or '^' or '{' or '|' or '}';

    /// <summary>
    /// Checks a room name: '#' then 1 to 50 characters, none of them a space, a comma, a control character
    /// (RFC 2812 section 1.3 forbids space, BEL and comma) or a bidirectional-override character.
    /// </summary>
    public static string? ValidateRoomName(string room)
    {
        if (room.Length < 2 || room[0] != '#') return "A room name starts with '#', as in #lobby.";
        if (room.Length - 1 > MaxRoomNameLength) return $"A room name can be at most {MaxRoomNameLength} characters after the '#'.";
        foreach (var c in room.AsSpan(1))
        {
            if (c == ' ' || c == ',' || char.IsControl(c) || IsBidiControl(c))
                return "A room name cannot contain spaces, commas or control characters.";
        }
        return null;
    }

    /// <summary>Bidirectional embedding, override and isolate controls, which make text display other than it reads.</summary>
    public static bool IsBidiControl(char c) => c is '\u202A' or '\u202B' or '\u202C' or '\u202D' or '\u202E'
        or '\u2066' or '\u2067' or '\u2068' or '\u2069' or '\u200E' or '\u200F' or '\u061C';

    public static bool LooksLikeRoom(string s) => s.Length > 0 && s[0] == '#';
}
