using System.Security.Cryptography;
using System.Text;

namespace Grove.Core.Accounts;

/// <summary>
/// Password hashes: PBKDF2 with HMAC-SHA-256, a random 16-byte salt and 600,000 iterations (OWASP's figure for
/// PBKDF2-HMAC-SHA256), kept as <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64). Slow on purpose: call it off the
/// command loop. The iteration count is stored with each hash, so it can be raised later without breaking old ones.
/// </summary>
public static class PasswordHasher
{
    public const int DefaultIterations = 600_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const string Scheme = "pbkdf2-sha256";

    /// <summary>
    /// Passwords may not contain control characters or half of a surrogate pair. Besides being untypable, they would
    /// weaken the hash: HMAC pads its key with zero bytes, so "secret" and "secret" followed by NUL would be the same
    /// password (FsCheck found it), and every lone surrogate becomes the same replacement character in UTF-8.
    /// </summary>
    public static bool IsAcceptable(string password)
    {
        if (password.Length == 0 || password.Any(char.IsControl)) return false;
        try
        {
            StrictUtf8.GetByteCount(password);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Hash(string password, int iterations = DefaultIterations)
    {
        if (!IsAcceptable(password)) throw new ArgumentException("A password may not be empty or contain control characters.", nameof(password));
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>True when <paramref name="password"/> matches; false for a wrong password or a malformed hash.</summary>
    public static bool Verify(string password, string stored)
    {
        if (!IsAcceptable(password)) return false;
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], out var iterations) || iterations < 1) return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>
    /// A hash of no real password, verified against when a login names an unknown account, so that the answer takes
    /// as long as for a known one.
    /// </summary>
    public static readonly string Decoy = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));

    /// <summary>A web session token: 32 random bytes, base64url. Only its SHA-256 is stored.</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string TokenKey(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
