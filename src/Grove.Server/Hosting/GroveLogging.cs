using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Serilog;
using Serilog.Events;

namespace Grove.Server.Hosting;

/// <summary>Console and file logging, at the level the options ask for.</summary>
internal static class GroveLogging
{
    public static LogLevel ParseLevel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "trace" or "verbose" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "none" or "off" => LogLevel.None,
        _ => throw new GroveStartupException($"Unknown log level \"{text}\". Use one of: trace, debug, information, warning, error."),
    };

    public static void Configure(ILoggingBuilder logging, GroveServerOptions options)
    {
        var level = ParseLevel(options.LogLevel);
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        // The framework's own chatter (hosting, Kestrel) only when something is wrong.
        logging.AddFilter("Microsoft", Microsoft.Extensions.Logging.LogLevel.Warning);
        // A failed start is reported once, as one line for a person, by `grove serve`, not as a stack trace here.
        logging.AddFilter("Microsoft.Extensions.Hosting", Microsoft.Extensions.Logging.LogLevel.None);
        if (options.ConsoleLog)
        {
            // Our own single-line format, so values from clients are escaped on the console too (EscapedLogFormats.cs).
            logging.AddConsole(c => c.FormatterName = EscapedConsoleFormatter.Name);
            logging.AddConsoleFormatter<EscapedConsoleFormatter, ConsoleFormatterOptions>();
        }
        if (!string.IsNullOrWhiteSpace(options.LogFile))
        {
            try
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(options.LogFile));
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                using (File.AppendText(options.LogFile)) { }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new GroveStartupException($"Cannot write the log file {options.LogFile}: {ex.Message} Choose another with --log-file.");
            }
            var serilog = new LoggerConfiguration()
                .MinimumLevel.Is(ToSerilog(level))
                .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Extensions.Hosting", LogEventLevel.Fatal)
                .WriteTo.File(new EscapedFileFormatter("{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {SourceContext}: {Message:lj}"),
                    options.LogFile,
                    flushToDiskInterval: TimeSpan.FromSeconds(1),
                    shared: true)
                .CreateLogger();
            logging.AddSerilog(serilog, dispose: true);
        }
    }

    private static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };
}
