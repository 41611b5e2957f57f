using FsCheck;
using FsCheck.Fluent;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Core.Tests.Wire;

/// <summary>The one cleaning rule (issue #20 item 2), the log escaping (item 6) and IRCv3 tags (item 7).</summary>
public sealed class TextRulesUnitTests
{
    private static Config Cases(int n) => Config.QuickThrowOnFailure.WithMaxTest(n);

    // Strings rich in the characters that matter: controls of every range, the tag metacharacters, plain letters.
    private static readonly Arbitrary<string> Nasty = Gen.Elements("\0\r\n\t\u0001\u0002\u0003\u0007\u001b\u007f\u0085\u009b\u202e;= \\:abc12,+/é".ToCharArray())
        .ListOf().Select(cs => new string([.. cs])).ToArbitrary();

    [Fact]
    public void Cleaned_text_has_no_forbidden_character_and_cleaning_twice_changes_nothing()
    {
        Prop.ForAll(Nasty, s =>
            Enum.GetValues<TextTarget>().All(t =>
            {
                var once = TextRules.Clean(s, t);
                return !once.Any(c => TextRules.IsForbidden(c, t)) && TextRules.Clean(once, t) == once;
            })).Check(Cases(500));
    }

    [Fact]
    public void Line_keeps_irc_formatting_and_ctcp_while_terminal_drops_them_with_colour_digits()
    {
        const string text = "\u0001ACTION \u0002bold\u0002 \u000304,12red\u000f\u0001";
        Assert.Equal(text, TextRules.Clean(text, TextTarget.Line));
        Assert.Equal("ACTION bold red", TextRules.Clean(text, TextTarget.Terminal));
        Assert.Equal("a b c", TextRules.Clean("a\rb\nc", TextTarget.Line));
        Assert.Equal("]0;x[2J", TextRules.Clean("\u001b]0;x\u0007\u001b[2J", TextTarget.Line));
    }

    [Fact]
    public void A_log_escape_leaves_no_control_but_tab_and_shows_each_one()
    {
        Assert.Equal("a\\r\\nb\\x1B[2J\\x00\\u009B\tc", TextRules.EscapeForLog("a\r\nb\u001b[2J\0\u009b\tc"));
        Prop.ForAll(Nasty, s => !TextRules.EscapeForLog(s).Any(c => c != '\t' && TextRules.IsTerminalControl(c))).Check(Cases(300));
    }

    [Fact]
    public void A_log_escape_shows_line_separators_and_bidi_controls()
    {
        // A failed login's name kept U+2028 (a line break to some viewers) and U+202E (reverses what follows) raw.
        Assert.Equal("x\\u2028FORGED\\u2029y\\u202Eevil\\u2066z", TextRules.EscapeForLog("x\u2028FORGED\u2029y\u202Eevil\u2066z"));
        Assert.Equal("plain é text", TextRules.EscapeForLog("plain é text"));
    }

    [Fact]
    public void Tag_keys_follow_the_message_tags_grammar()
    {
        // "<key> ::= [ <client_prefix> ] [ <vendor> '/' ] <key_name>; <key_name> ::= <non-empty sequence of ascii
        // letters, digits, hyphens ('-')>; <vendor> ::= <host>" (IRCv3 message-tags).
        foreach (var ok in new[] { "time", "+a", "+draft/reply", "example.com/foo-bar", "+example.com/x1", "msgid" })
            Assert.True(IrcMessage.IsValidTagKey(ok), ok);
        foreach (var bad in new[] { "", "+", "+z\rERROR", "a b", "a_b", "/x", "+example.com/", "ex ample.com/x", "a\u001b", "+a=b", "é" })
            Assert.False(IrcMessage.IsValidTagKey(bad), bad);
        var tags = IrcMessage.ParseTags("+a=1;+z\rERROR;+example.com/k=v");
        Assert.Equal(["+a", "+example.com/k"], tags.Keys);
    }

    [Fact]
    public void Tag_values_are_escaped_per_the_spec_and_lose_nul_and_esc()
    {
        // "\: ; \s SPACE \\ \ \r CR \n LF" (IRCv3 message-tags, escaping values).
        Assert.Equal("a\\:b\\sc\\\\d\\re\\nf", IrcMessage.EscapeTagValue("a;b c\\d\re\nf"));
        Assert.Equal("x[2Jy", IrcMessage.EscapeTagValue("x\u001b[2J\0y"));
        Prop.ForAll(Nasty, v =>
        {
            var escaped = IrcMessage.EscapeTagValue(v);
            var kept = new string(v.Where(c => c is '\r' or '\n' || !TextRules.IsForbidden(c, TextTarget.Line)).ToArray());
            return escaped.IndexOfAny([';', ' ', '\r', '\n', '\0', '\u001b']) < 0 && IrcMessage.UnescapeTagValue(escaped) == kept;
        }).Check(Cases(500));
    }
}
