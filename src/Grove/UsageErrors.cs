using System.CommandLine;
using System.CommandLine.Parsing;

namespace Grove.Cli;

/// <summary>
/// A command line that does not parse gets one line for its first mistake, naming the flag and the value, and a pointer to
/// --help, instead of System.CommandLine's message followed by the whole help text. Exit code 2.
/// </summary>
internal static class UsageErrors
{
    public const int ExitCode = 2;

    public static async Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration configuration)
    {
        // No subcommand at all: the help is what the person needs.
        if (parse.Errors.Count == 0 || parse.CommandResult.Command is RootCommand && parse.Tokens.Count == 0)
            return await parse.InvokeAsync(configuration);
        var path = CommandPath(parse.CommandResult);
        var lines = new List<string>();
        // An unknown flag may have been taken as the value of an argument (grove peer --bogus 5001): say that first.
        foreach (var argument in parse.CommandResult.Children.OfType<ArgumentResult>())
            foreach (var token in argument.Tokens.Where(t => t.Value.StartsWith('-')))
                lines.Add(Unknown(path, token.Value));
        foreach (var token in parse.UnmatchedTokens.OrderBy(t => t.StartsWith('-') ? 0 : 1))
            lines.Add(Unmatched(path, token, parse.CommandResult.Command));
        foreach (var error in parse.Errors)
        {
            var line = Describe(path, error);
            if (line is not null && !lines.Contains(line)) lines.Add(line);
        }
        if (lines.Count == 0) lines.Add($"{path}: {parse.Errors[0].Message}");
        // The first mistake is enough: later ones often follow from it (the value of an unknown flag, …).
        await Console.Error.WriteLineAsync(lines[0] + $" See {path} --help for more.");
        return ExitCode;
    }

    /// <summary>The one line for a flag that this command does not have.</summary>
    public static string Unknown(string path, string token) => token.StartsWith('-')
        ? $"{path}: unknown flag {token}."
        : $"{path}: unexpected argument \"{token}\".";

    private static string Unmatched(string path, string token, Command command) =>
        !token.StartsWith('-') && command.Subcommands.Count > 0 ? $"{path}: unknown command \"{token}\"." : Unknown(path, token);

    private static string? Describe(string path, ParseError error)
    {
        switch (error.SymbolResult)
        {
            case OptionResult o:
            {
                var flag = o.IdentifierToken?.Value ?? o.Option.Name;
                if (o.Tokens.Count == 0) return $"{path}: {flag} needs a value.";
                if (Repeated(o) is { } twice) return $"{path}: {twice}";
                return $"{path}: {flag} \"{string.Join(' ', o.Tokens.Select(t => t.Value))}\" is not {Kind(o.Option.ValueType)}.";
            }
            case ArgumentResult a when a.Parent is OptionResult o:
            {
                var flag = o.IdentifierToken?.Value ?? o.Option.Name;
                if (a.Tokens.Count == 0) return $"{path}: {flag} needs a value.";
                if (Repeated(o) is { } twice) return $"{path}: {twice}";
                return $"{path}: {flag} \"{string.Join(' ', a.Tokens.Select(t => t.Value))}\" is not {Kind(o.Option.ValueType)}.";
            }
            case ArgumentResult a:
                if (a.Tokens.Count == 0) return $"{path}: {a.Argument.Name.ToUpperInvariant()} is missing.";
                return $"{path}: {a.Argument.Name.ToUpperInvariant()} \"{string.Join(' ', a.Tokens.Select(t => t.Value))}\" is not {Kind(a.Argument.ValueType)}.";
            default:
                // Unmatched tokens are already said; other errors keep System.CommandLine's words.
                return error.Message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal) ? null : $"{path}: {error.Message}";
        }
    }

    // A one-value flag given twice collects both values, which read as one strange value ("a b" is not a valid string).
    private static string? Repeated(OptionResult o) =>
        o.Option.Arity.MaximumNumberOfValues == 1 && o.Tokens.Count > 1
            ? $"{o.IdentifierToken?.Value ?? o.Option.Name} is given more than once ({string.Join(", ", o.Tokens.Select(t => $"\"{t.Value}\""))}); give it once."
            : null;

    /// <summary>"a whole number", "true or false", … for a value's type.</summary>
    public static string Kind(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long) || type == typeof(short)) return "a whole number";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(TimeSpan)) return "a duration such as 00:00:30";
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type)).ToLowerInvariant();
        return "a valid " + type.Name.ToLowerInvariant();
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Command is RootCommand ? "grove" : c.Command.Name);
        return string.Join(' ', names);
    }
}
