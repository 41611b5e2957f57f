namespace Grove.Core.Names;

/// <summary>IRC wildcard masks: '*' matches any run of characters, '?' any one. Compared after ASCII folding.</summary>
public static class Mask
{
    /// <summary>Matches a folded mask against a folded text, without recursion (linear backtracking on '*').</summary>
    public static bool Matches(string mask, string text)
    {
        mask = NameRules.Fold(mask);
        int m = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (m < mask.Length && (mask[m] == '?' || mask[m] == text[t])) { m++; t++; }
            else if (m < mask.Length && mask[m] == '*') { star = m++; mark = t; }
            else if (star >= 0) { m = star + 1; t = ++mark; }
            else return false;
        }
        while (m < mask.Length && mask[m] == '*') m++;
        return m == mask.Length;
    }

    /// <summary>The prefix of an account mask ("$a:alice", as on solanum and Libera): matches whoever is logged in to it.</summary>
    public const string AccountPrefix = "$a:";

    /// <summary>True when the mask matches the person: an account mask by account, any other by nick!user@host.</summary>
    public static bool MatchesPerson(string mask, People.Origin who)
    {
        if (mask.StartsWith(AccountPrefix, StringComparison.Ordinal))
            return who.Account is { } account && NameRules.Fold(mask[AccountPrefix.Length..]) == NameRules.Fold(account);
        return Matches(mask, NameRules.Fold(who.ToString()));
    }

    /// <summary>Completes a partial mask the way IRC servers do: "bob" → "bob!*@*", "*@host" → "*!*@host".</summary>
    public static string Normalize(string mask)
    {
        if (mask.StartsWith(AccountPrefix, StringComparison.Ordinal)) return mask;
        if (mask.Contains('!') && mask.Contains('@')) return mask;
        if (mask.Contains('@')) return "*!" + mask;
        if (mask.Contains('!')) return mask + "@*";
        return mask + "!*@*";
    }
}
