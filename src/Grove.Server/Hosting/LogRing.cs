using Microsoft.Extensions.Logging;

namespace Grove.Server.Hosting;

/// <summary>The latest log lines, kept in memory for the status page (the seeds' server log window).</summary>
public sealed class LogRing : ILoggerProvider
{
    private readonly string[] _lines = new string[200];
    private long _count;
    private readonly object _gate = new();

    public ILogger CreateLogger(string categoryName) => new RingLogger(this, categoryName);

    public void Add(string line)
    {
        lock (_gate) _lines[_count++ % _lines.Length] = line;
    }

    /// <summary>Up to <paramref name="n"/> latest lines, oldest first.</summary>
    public IReadOnlyList<string> Latest(int n)
    {
        lock (_gate)
        {
            var take = (int)Math.Min(Math.Min(n, _lines.Length), _count);
            var result = new string[take];
            for (var i = 0; i < take; i++) result[i] = _lines[(_count - take + i) % _lines.Length];
            return result;
        }
    }

    public void Dispose() { }

    private sealed class RingLogger(LogRing ring, string category) : ILogger
    {
        private readonly string _short = category[(category.LastIndexOf('.') + 1)..];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            // Escaped like the file and console logs (EscapedLogFormats.cs): /status shows these lines too.
            ring.Add(Grove.Wire.TextRules.EscapeForLog($"{DateTime.Now:HH:mm:ss} {logLevel.ToString()[..4].ToLowerInvariant()} {_short}: {formatter(state, exception)}"));
        }
    }
}
