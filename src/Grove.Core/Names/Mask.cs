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

    /// <summary>Completes a partial mask the way IRC servers do: "bob" → "bob!*@*", "*@host" → "*!*@host".</summary>
    public static string Normalize(string mask)
    {
        if (mask.Contains('!') && mask.Contains('@')) return mask;
        if (mask.Contains('@')) return "*!" + mask;
        if (mask.Contains('!')) return mask + "@*";
        return mask + "!*@*";
    }
}
