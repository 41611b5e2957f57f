using System.Text.RegularExpressions;
using Grove.Core.Accounts;

namespace Grove.Core.Tests;

/// <summary>
/// Issue 20 item 11: a wall clock set back must not lengthen a duration. Durations use the monotonic clock
/// (TimeProvider.GetTimestamp, Stopwatch, Environment.TickCount64); wall time is only for what people read.
/// </summary>
public sealed class MonotonicClockUnitTests
{
    /// <summary>A clock whose wall time can be stepped back while its monotonic time only moves forward.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        public DateTimeOffset Wall = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
        public long Ticks;
        public override DateTimeOffset GetUtcNow() => Wall;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;

        /// <summary>Time passes: both clocks move forward.</summary>
        public void Pass(TimeSpan by)
        {
            Wall += by;
            Ticks += by.Ticks;
        }
    }

    [Fact]
    public void A_login_lock_out_expires_after_its_window_even_when_the_wall_clock_is_set_back_an_hour()
    {
        var clock = new SteppedClock();
        var throttle = new LoginThrottle { MaxPerAccount = 5, MaxPerAddress = 1000, Window = TimeSpan.FromMinutes(5) };
        for (var i = 0; i < 5; i++) throttle.Failed("alice", "10.0.0.1", clock.GetElapsedTime(0));
        Assert.Equal(TimeSpan.FromMinutes(5), throttle.Blocked("alice", "10.0.0.1", clock.GetElapsedTime(0)));

        clock.Wall -= TimeSpan.FromHours(1); // an operator (or NTP) steps the clock back
        clock.Pass(TimeSpan.FromMinutes(4));
        Assert.Equal(TimeSpan.FromMinutes(1), throttle.Blocked("alice", "10.0.0.1", clock.GetElapsedTime(0)));
        clock.Pass(TimeSpan.FromMinutes(1));
        Assert.Null(throttle.Blocked("alice", "10.0.0.1", clock.GetElapsedTime(0)));
    }

    // A wall-clock reading (DateTime(Offset).UtcNow/Now, TimeProvider.GetUtcNow()) and arithmetic or a comparison
    // beside it: the shape of a duration measured on the wall clock.
    private const string WallClock = @"(?:\bDateTime(?:Offset)?\.(?:UtcNow|Now)\b|\.GetUtcNow\(\))";
    private static readonly Regex ArithmeticOnWallClock = new($@"{WallClock}\s*(?:[-+]|[<>]=?)\s*[\w(]|[\w)]\s*(?:[-+]|[<>]=?)\s*{WallClock}");
    private static readonly Regex AssignedFromWallClock = new($@"\b(?:var|DateTime(?:Offset)?)\s+(\w+)\s*=\s*[\w.]*?{WallClock}\s*;");

    /// <summary>Lines in src/ that measure a duration on the wall clock, as "file:line: text".</summary>
    internal static List<string> WallClockDurations(string root)
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            var lines = File.ReadAllLines(file);
            // Variables holding a wall-clock reading, then used in arithmetic or a comparison in the same file.
            var names = lines.Select(l => AssignedFromWallClock.Match(l)).Where(m => m.Success).Select(m => Regex.Escape(m.Groups[1].Value)).Distinct().ToList();
            var viaName = names.Count == 0 ? null
                : new Regex($@"\b(?:{string.Join('|', names)})\s*(?:[-+]|[<>]=?)\s*[\w(]|[\w)]\s*[-+]\s*\b(?:{string.Join('|', names)})\b");
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (line.TrimStart().StartsWith("//", StringComparison.Ordinal)) continue;
                // A deliberate wall-clock span says so on its line, with the reason (a lifetime that outlives the process).
                if (line.Contains("// wall clock: ", StringComparison.Ordinal)) continue;
                if (ArithmeticOnWallClock.IsMatch(line) || viaName?.IsMatch(line) == true)
                    found.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {line.Trim()}");
            }
        }
        return found;
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Grove.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Grove.slnx).");
    }

    [Fact]
    public void No_code_in_src_measures_a_duration_on_the_wall_clock()
    {
        var found = WallClockDurations(RepositoryRoot());
        Assert.True(found.Count == 0, "Measure durations with TimeProvider.GetTimestamp/GetElapsedTime, Stopwatch or Environment.TickCount64 " +
            "(docs/operations.md, \"Clocks\"); the wall clock is only for what people read:\n" + string.Join('\n', found));
    }

    [Theory]
    [InlineData("if (DateTimeOffset.UtcNow - s.ConnectedAt > registration)")]
    [InlineData("var until = DateTime.UtcNow + timeout;")]
    [InlineData("while (DateTime.UtcNow < deadline)")]
    [InlineData("var left = deadline - DateTime.UtcNow;")]
    [InlineData("if (time.GetUtcNow() - since >= Window) q.Dequeue();")]
    [InlineData("var now = time.GetUtcNow();\nwhile (q.Count > 0 && now - q.Peek() >= Window) q.Dequeue();")]
    public void The_rule_catches_the_shapes_a_wall_clock_duration_takes(string code)
    {
        using var root = new TempSource(code);
        Assert.NotEmpty(WallClockDurations(root.Path));
    }

    [Theory]
    [InlineData("var ev = new RoomMessageEvent(++_lastId, _time.GetUtcNow(), room.Name, s.Name!, text, kind);")]
    [InlineData("var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();")]
    [InlineData("var elapsed = time.GetElapsedTime(started) > registration;")]
    [InlineData("return local.Date == DateTimeOffset.Now.Date ? a : b;")]
    [InlineData("var now = time.GetUtcNow();\nreturn now - t.CreatedAt > Lifetime; // wall clock: stored, outlives the process")]
    public void The_rule_lets_wall_time_for_people_to_read_pass(string code)
    {
        using var root = new TempSource(code);
        Assert.Empty(WallClockDurations(root.Path));
    }

    /// <summary>A folder with src/Sample.cs holding the code, for the rule to scan.</summary>
    private sealed class TempSource : IDisposable
    {
        public TempSource(string code)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "grove-rule-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(System.IO.Path.Combine(Path, "src"));
            File.WriteAllText(System.IO.Path.Combine(Path, "src", "Sample.cs"), code);
        }

        public string Path { get; }
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
