using System.Text.RegularExpressions;
using Grove.Testing;

namespace Grove.Tests;

public sealed partial class ClusterTests
{
    private const string HistoryCaps = "echo-message server-time message-tags batch draft/chathistory";
    private const string Refusal = "! The server cannot store messages right now; try again in a moment.";
    private const string NodeRestarting = "* This node is restarting; reconnecting…";

    /// <summary>"nick: text" of an IRC PRIVMSG to <paramref name="target"/> (live, or only inside a history batch), else null.</summary>
    private static string? IrcSaid(string line, string target, bool inBatch = false)
    {
        var m = Regex.Match(line, $"^(?:@(?<tags>\\S+) )?:(?<nick>[^!\\s]+)!\\S+ PRIVMSG {Regex.Escape(target)} :(?<text>.*)$");
        if (!m.Success || m.Groups["tags"].Value.Contains("batch=") != inBatch) return null;
        return $"{m.Groups["nick"].Value}: {m.Groups["text"].Value}";
    }

    /// <summary>Adds <paramref name="line"/> to <paramref name="lines"/> and gives <paramref name="value"/> (to keep a collected line whole).</summary>
    private static string Kept(List<string> lines, string line, string value)
    {
        lines.Add(line);
        return value;
    }

    /// <summary>Reads lines until <paramref name="count"/> of them give a value; returns those values in order.</summary>
    private static async Task<List<string>> CollectAsync(LineClient c, int count, Func<string, string?> pick)
    {
        var got = new List<string>();
        while (got.Count < count)
            if (pick(await c.NextLineAsync()) is { } value) got.Add(value);
        return got;
    }

    /// <summary>Reads lines until each pattern has matched one, in any order (events of several nodes may come in any order).</summary>
    private static async Task ExpectAllAsync(LineClient c, TimeSpan timeout, params string[] patterns)
    {
        var left = patterns.Select(p => new Regex(p)).ToList();
        var deadline = DateTime.UtcNow + timeout;
        while (left.Count > 0)
        {
            var wait = deadline - DateTime.UtcNow;
            string line;
            try
            {
                line = await c.NextLineAsync(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1));
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{c.Name}: no line matching /{string.Join("/ or /", left)}/ within {timeout.TotalSeconds} s. Seen: {string.Join(" | ", c.Seen.TakeLast(15))}");
            }
            left.RemoveAll(r => r.IsMatch(line));
        }
    }

    /// <summary>After a name was sent at the name question: true when it was taken, false when refused as taken and asked again.</summary>
    private static async Task<bool> TakesNameAsync(LineClient c, string name)
    {
        var answer = await c.ExpectAsync($"(?i)^(\\* Welcome, {name}!|! The name \"{name}\" is already taken\\.$)");
        if (answer.StartsWith("* Welcome", StringComparison.Ordinal)) return true;
        await c.ExpectAsync("^What is your name\\?$");
        return false;
    }

    /// <summary>
    /// Sends numbered lines (1, 2, …) through <paramref name="send"/> every few milliseconds until stopped or until the
    /// connection fails; the task gives how many were sent.
    /// </summary>
    private sealed class Sender : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<int> _run;
        private int _sent;

        public Sender(Func<int, Task> send, int everyMs = 5)
        {
            _run = Task.Run(async () =>
            {
                try
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        await send(_sent + 1);
                        _sent++;
                        await Task.Delay(everyMs); // a pace, not a wait for an event
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
                {
                    // The node went away under the sender: it stops there.
                }
                return _sent;
            });
        }

        public int SentSoFar => Volatile.Read(ref _sent);

        /// <summary>Stops it and gives how many lines were sent.</summary>
        public async Task<int> StopAsync()
        {
            await _stop.CancelAsync();
            return await _run.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try { await _run.WaitAsync(TimeSpan.FromSeconds(30)); } catch (Exception) { }
        }
    }

    /// <summary>The numbers of lines "PREFIXn" among <paramref name="texts"/>, in order.</summary>
    private static List<int> Numbers(IEnumerable<string> texts, string prefix) =>
        texts.Select(t => Regex.Match(t, $"^{Regex.Escape(prefix)}(\\d+)$")).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    /// <summary>1, 2, …, n: a stream received in order with nothing missing.</summary>
    private static void AssertFromOneWithoutGaps(IReadOnlyList<int> numbers, string who) =>
        Assert.True(numbers.SequenceEqual(Enumerable.Range(1, numbers.Count)),
            $"{who} got {numbers.Count} lines, not 1..{numbers.Count} in order: {string.Join(",", numbers.Take(50))}{(numbers.Count > 50 ? ",…" : "")}");
}
