namespace Grove.Core.Accounts;

/// <summary>
/// Brute-force limits for logins: at most <see cref="MaxPerAccount"/> failed attempts per account and
/// <see cref="MaxPerAddress"/> per IP address within <see cref="Window"/>; past that, attempts are refused until the
/// oldest failure leaves the window. Command loop only. Failures are stamped with the monotonic time the caller
/// passes (the command's stamp), so setting the wall clock back does not lengthen a lock-out.
/// </summary>
public sealed class LoginThrottle
{
    public int MaxPerAccount { get; init; } = 5;
    public int MaxPerAddress { get; init; } = 20;
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, Queue<TimeSpan>> _byAccount = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<TimeSpan>> _byAddress = new(StringComparer.Ordinal);

    /// <summary>Null when an attempt may go ahead, otherwise how long until the next one may.</summary>
    public TimeSpan? Blocked(string accountKey, string address, TimeSpan now)
    {
        var a = Wait(_byAccount, accountKey, MaxPerAccount, now);
        var b = Wait(_byAddress, address, MaxPerAddress, now);
        if (a is null) return b;
        if (b is null) return a;
        return a > b ? a : b;
    }

    public void Failed(string accountKey, string address, TimeSpan now)
    {
        Add(_byAccount, accountKey, now);
        Add(_byAddress, address, now);
    }

    /// <summary>A successful login clears its account's failures (not its address's).</summary>
    public void Succeeded(string accountKey) => _byAccount.Remove(accountKey);

    private TimeSpan? Wait(Dictionary<string, Queue<TimeSpan>> map, string key, int max, TimeSpan now)
    {
        if (!map.TryGetValue(key, out var q)) return null;
        while (q.Count > 0 && now - q.Peek() >= Window) q.Dequeue();
        if (q.Count == 0) { map.Remove(key); return null; }
        return q.Count < max ? null : Window - now - q.Peek();
    }

    private void Add(Dictionary<string, Queue<TimeSpan>> map, string key, TimeSpan now)
    {
        if (!map.TryGetValue(key, out var q)) map[key] = q = new Queue<TimeSpan>();
        q.Enqueue(now);
        // The queue never needs more entries than the limit it enforces.
        while (q.Count > Math.Max(MaxPerAccount, MaxPerAddress)) q.Dequeue();
    }
}
