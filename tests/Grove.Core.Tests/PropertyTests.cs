using FsCheck;
using FsCheck.Fluent;
using Grove.Core.Accounts;
using Grove.Core.Commands;
using Grove.Core.Names;
using Grove.Wire.Irc;

namespace Grove.Core.Tests;

/// <summary>
/// Properties checked by FsCheck with its own generators and shrinking (a failure is reported as the smallest
/// counter-example it can find). Each runs FsCheck's default 100 cases, or the count given.
/// </summary>
public sealed class PropertyTests
{
    private static Config Cases(int n) => Config.QuickThrowOnFailure.WithMaxTest(n);

    // A middle IRC parameter: non-empty, no space, not starting with ':', no CR, LF or NUL.
    private static readonly Gen<string> Middle =
        Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789#&!@*+-_.[]{}|^`\\=;,é🌳".ToCharArray())
            .NonEmptyListOf().Select(cs => new string([.. cs]))
            .Where(s => !s.StartsWith(':'));

    // A trailing parameter: anything TextRules lets onto a line (no CR, LF, NUL, ESC…), spaces and colons included.
    private static readonly Gen<string> Trailing = ArbMap.Default.GeneratorFor<string>()
        .Select(s => new string((s ?? "").Where(c => !Grove.Wire.TextRules.IsForbidden(c, Grove.Wire.TextTarget.Line) && !char.IsSurrogate(c)).ToArray()));

    private static readonly Gen<string> Command = Gen.Elements("PRIVMSG", "NOTICE", "JOIN", "PART", "MODE", "KICK", "001", "433", "TAGMSG");

    [Fact]
    public void Any_irc_message_grove_formats_parses_back_to_the_same_command_and_parameters()
    {
        var messages =
            from command in Command
            from middles in Middle.ListOf()
            from trailing in Trailing
            select (Command: command, Params: (string[])[.. middles.Take(10), trailing]);
        Prop.ForAll(messages.ToArbitrary(), m =>
        {
            var (command, ps) = m;
            var parsed = IrcMessage.Parse(IrcMessage.Format("nick!user@host", command, ps).TrimEnd('\r', '\n'));
            return parsed is not null && parsed.Command == command && parsed.Params.SequenceEqual(ps) && parsed.Source == "nick!user@host";
        }).Check(Cases(300));
    }

    [Fact]
    public void The_plain_parser_answers_every_line_with_exactly_one_command_or_error()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), line =>
        {
            var r = PlainCommandParser.Parse(line ?? "");
            return r.Command is not null ^ r.ErrorText is not null;
        }).Check(Cases(500));
    }

    [Fact]
    public void Folding_is_idempotent_and_a_star_mask_matches_every_name_while_an_exact_mask_matches_only_its_own()
    {
        Prop.ForAll(Middle.Where(s => s.IndexOfAny(['*', '?']) < 0).ToArbitrary(), Middle.ToArbitrary(), (a, b) =>
        {
            var fa = NameRules.Fold(a);
            return NameRules.Fold(fa) == fa
                   && Mask.Matches("*", fa)
                   && Mask.Matches(a, fa)
                   && Mask.Matches(a, NameRules.Fold(b)) == (fa == NameRules.Fold(b));
        }).Check(Cases(300));
    }

    [Fact]
    public void A_password_verifies_against_its_own_hash_only_and_the_hash_never_contains_it()
    {
        // A prefix long enough that a base64 salt or hash cannot contain the password by chance; no control characters
        // (they are refused: see the next property).
        var passwords = ArbMap.Default.GeneratorFor<string>()
            .Select(s => "password-" + new string((s ?? "").Where(c => !char.IsControl(c) && !char.IsSurrogate(c)).ToArray())).ToArbitrary();
        Prop.ForAll(passwords, password =>
        {
            // Few iterations so the property runs 50 cases quickly; the algorithm is the same as the server's.
            var hash = PasswordHasher.Hash(password, iterations: 1_000);
            return PasswordHasher.Verify(password, hash)
                   && !PasswordHasher.Verify(password + "x", hash)
                   && !PasswordHasher.Verify(password[..^1], hash)
                   && !hash.Contains(password, StringComparison.Ordinal)
                   && hash.StartsWith("pbkdf2-sha256$1000$", StringComparison.Ordinal);
        }).Check(Cases(50));
    }

    [Fact]
    public void A_password_with_a_control_character_is_refused_so_a_trailing_nul_cannot_stand_for_nothing()
    {
        // HMAC pads its key with zero bytes: without the rule, "secret" + NUL would verify against "secret".
        var hash = PasswordHasher.Hash("correct horse battery", iterations: 1_000);
        Assert.False(PasswordHasher.Verify("correct horse battery\0", hash));
        Assert.Throws<ArgumentException>(() => PasswordHasher.Hash("tab\there", iterations: 1_000));
        Assert.False(PasswordHasher.IsAcceptable("half a pair \ud800"));
        var controls = Gen.Choose(0, 31).Select(c => (char)c).ToArbitrary();
        Prop.ForAll(controls, ArbMap.Default.ArbFor<string>(), (control, s) =>
            !PasswordHasher.Verify((s ?? "") + control, hash) && !PasswordHasher.IsAcceptable(control + (s ?? ""))).Check(Cases(100));
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
        // The monotonic clock moves with the wall clock here: these tests never step it back.
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Now.UtcTicks;
    }

    [Fact]
    public void Login_throttle_blocks_exactly_at_the_limit_and_lets_go_after_the_window()
    {
        Prop.ForAll(Gen.Choose(1, 12).ToArbitrary(), Gen.Choose(0, 30).ToArbitrary(), (limit, failures) =>
        {
            var time = new ManualTime();
            var throttle = new LoginThrottle { MaxPerAccount = limit, MaxPerAddress = 1000, Window = TimeSpan.FromMinutes(5) };
            for (var i = 0; i < failures; i++)
            {
                throttle.Failed("alice", "10.0.0.1", time.GetElapsedTime(0));
                time.Now += TimeSpan.FromSeconds(1);
            }
            var blocked = throttle.Blocked("alice", "10.0.0.1", time.GetElapsedTime(0));
            var other = throttle.Blocked("bob", "10.0.0.1", time.GetElapsedTime(0));
            time.Now += TimeSpan.FromMinutes(5);
            return (blocked is not null) == (failures >= limit) && other is null && throttle.Blocked("alice", "10.0.0.1", time.GetElapsedTime(0)) is null;
        }).Check(Cases(200));
    }
}
