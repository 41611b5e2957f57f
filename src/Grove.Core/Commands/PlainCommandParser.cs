using Grove.Core.Names;

namespace Grove.Core.Commands;

/// <summary>What a plain-door line turned out to be.</summary>
public readonly record struct ParseResult(ChatCommand? Command, ErrorCode Error = ErrorCode.None, string? ErrorText = null)
{
    public bool IsError => Command is null;
}

/// <summary>
/// Turns one line typed on the plain door (or in the web client's input box) into a command.
/// A line starting with '/' must be a known command; one starting with '!' or '@' is a command only when it is one
/// of the original apps' aliases, otherwise it is ordinary chat ("!!! wow"). "//text" sends "/text" as a message.
/// </summary>
public static class PlainCommandParser
{
    public const int MaxHistoryCount = 500;

    public static ParseResult Parse(string line, DoorSet door = DoorSet.Plain)
    {
        // A line of only spaces is as empty as an empty line: nothing to send.
        if (string.IsNullOrWhiteSpace(line)) return new(null, ErrorCode.EmptyMessage, "Empty lines are not sent.");
        if (line is "bye" or "exit") return new(new ChatCommand(CommandKind.Quit));
        if (line.StartsWith("//", StringComparison.Ordinal)) return new(new ChatCommand(CommandKind.Say, Text: line[1..]));

        var first = line[0];
        if (first is not ('/' or '!' or '@')) return new(new ChatCommand(CommandKind.Say, Text: line));

        var space = line.IndexOf(' ');
        var word = space < 0 ? line : line[..space];
        var rest = space < 0 ? "" : line[(space + 1)..].Trim();
        var entry = CommandTable.Find(word, door);
        if (entry is null)
        {
            if (first == '/')
                return new(null, ErrorCode.UnknownCommand, $"Unknown command {word}. Type /help for the list of commands.");
            return new(new ChatCommand(CommandKind.Say, Text: line));
        }
        return ParseArguments(entry, rest);
    }

    // The entry's shape says how its words parse; too few words (its MinArgs) is a usage error.
    private static ParseResult ParseArguments(CommandEntry entry, string rest)
    {
        var (a, b) = SplitFirst(rest);
        var kind = entry.Kind;
        var roomFirst = entry.Shape is ArgShape.RoomNameReason or ArgShape.RoomWho or ArgShape.RoomOrStarWho;
        var (room, tail) = roomFirst ? OptionalRoom(rest, allowStar: entry.Shape == ArgShape.RoomOrStarWho) : (null, rest);
        if (Words(tail) < entry.MinArgs) return Usage(entry);
        switch (entry.Shape)
        {
            case ArgShape.None:
                // Commands without arguments ignore anything after them, as the original apps did.
                return new(new ChatCommand(kind));
            case ArgShape.Text:
                return new(new ChatCommand(kind, Text: rest));
            case ArgShape.OptionalText:
                return new(new ChatCommand(kind, Text: NullIfEmpty(rest)));
            case ArgShape.Name:
                if (b.Length > 0) return Usage(entry);
                return new(new ChatCommand(kind, Target: a));
            case ArgShape.OptionalName:
                if (b.Length > 0) return Usage(entry);
                return new(new ChatCommand(kind, Target: NullIfEmpty(a)));
            case ArgShape.NameText:
                if (b.Length == 0) return Usage(entry);
                return new(new ChatCommand(kind, Target: a, Text: b));
            case ArgShape.NameOptionalText:
                return new(new ChatCommand(kind, Target: a, Text: NullIfEmpty(b)));
            case ArgShape.RoomThenText:
                if (NameRules.LooksLikeRoom(a)) return new(new ChatCommand(kind, Target: a, Text: NullIfEmpty(b)));
                return new(new ChatCommand(kind, Text: NullIfEmpty(rest)));
            case ArgShape.RoomNameReason:
                {
                    var (who, reason) = SplitFirst(tail);
                    return new(new ChatCommand(kind, Target: room, Text: NullIfEmpty(reason), Args: [who]));
                }
            case ArgShape.RoomWho or ArgShape.RoomOrStarWho:
                {
                    var (who, extra) = SplitFirst(tail);
                    if (extra.Length > 0) return Usage(entry);
                    return new(new ChatCommand(kind, Target: room, Args: [who]));
                }
            default:
                return ParseOwn(entry, rest, a, b);
        }
    }

    // The commands whose words fit no shape.
    private static ParseResult ParseOwn(CommandEntry entry, string rest, string a, string b)
    {
        switch (entry.Kind)
        {
            case CommandKind.History:
                {
                    // /history [N] | /history NAME|#room [N]
                    var parts = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length > 2) return Usage(entry);
                    string? target = null;
                    string? number = null;
                    foreach (var p in parts)
                    {
                        if (char.IsAsciiDigit(p[0]) || p[0] == '-') { if (number is not null) return Usage(entry); number = p; }
                        else { if (target is not null) return Usage(entry); target = p; }
                    }
                    int? count = null;
                    if (number is not null)
                    {
                        if (!int.TryParse(number, out var n) || n < 1 || n > MaxHistoryCount)
                            return new(null, ErrorCode.BadArgument, $"/history takes a number from 1 to {MaxHistoryCount}.");
                        count = n;
                    }
                    return new(new ChatCommand(CommandKind.History, Target: target, Count: count));
                }
            case CommandKind.RoomRegister:
                {
                    if (!a.Equals("register", StringComparison.OrdinalIgnoreCase)) return Usage(entry);
                    var (room, extra) = SplitFirst(b);
                    if (extra.Length > 0 || room.Length > 0 && !NameRules.LooksLikeRoom(room)) return Usage(entry);
                    return new(new ChatCommand(CommandKind.RoomRegister, Target: NullIfEmpty(room)));
                }
            case CommandKind.Mode:
                {
                    var (room, tail) = OptionalRoom(rest, allowStar: false);
                    var words = tail.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (words.Length == 0 || words[0][0] is not ('+' or '-')) return Usage(entry);
                    return new(new ChatCommand(CommandKind.Mode, Target: room, Text: words[0], Args: words[1..]));
                }
            case CommandKind.Invite:
                {
                    var (room, extra) = SplitFirst(b);
                    if (a.Length == 0 || extra.Length > 0 || room.Length > 0 && !NameRules.LooksLikeRoom(room)) return Usage(entry);
                    return new(new ChatCommand(CommandKind.Invite, Target: a, Args: room.Length > 0 ? [room] : []));
                }
            case CommandKind.Audit:
                if (b.Length > 0 || a.Length > 0 && a != "*" && !NameRules.LooksLikeRoom(a)) return Usage(entry);
                return new(new ChatCommand(CommandKind.Audit, Target: NullIfEmpty(a)));
            case CommandKind.Lockdown:
                if (b.Length > 0 || a.Length > 0 && a.ToLowerInvariant() is not ("on" or "off")) return Usage(entry);
                return new(new ChatCommand(CommandKind.Lockdown, Text: NullIfEmpty(a)));
            default:
                throw new InvalidOperationException($"{entry.Kind} has ArgShape.Own but no case in ParseOwn.");
        }
    }

    private static int Words(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static ParseResult Usage(CommandEntry entry) =>
        new(null, ErrorCode.NeedMoreParams, $"Usage: {entry.Syntax}");

    private static (string Head, string Tail) SplitFirst(string s)
    {
        var i = s.IndexOf(' ');
        return i < 0 ? (s, "") : (s[..i], s[(i + 1)..].TrimStart());
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    /// <summary>A leading "#room" (or "*" where allowed) names the room; otherwise the command is about your room.</summary>
    private static (string? Room, string Tail) OptionalRoom(string rest, bool allowStar)
    {
        var (first, tail) = SplitFirst(rest);
        if (NameRules.LooksLikeRoom(first) || allowStar && first == "*") return (first, tail);
        return (null, rest);
    }
}
