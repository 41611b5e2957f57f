using System.Globalization;
using System.Text;
using Grove.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace Grove.Server.Hosting;

/// <summary>
/// The log's two outputs (file and console) each write one line per entry, with every control character in the
/// message written out by <see cref="TextRules.EscapeForLog"/>. Our messages never hold a line break of their own, so
/// whatever control the line has came from a value (often a client's): escaping the whole message covers every value
/// of every message, including ones added later.
/// </summary>
internal static class EscapedLog
{
    /// <summary>An exception as type, escaped message and stack trace (on lines of their own), inner ones after.</summary>
    public static string Exception(Exception ex)
    {
        var sb = new StringBuilder();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (!ReferenceEquals(e, ex)) sb.Append(" ---> ");
            sb.Append(e.GetType().FullName).Append(": ").Append(TextRules.EscapeForLog(e.Message));
            if (e.StackTrace is { } trace) sb.Append(Environment.NewLine).Append(trace);
            sb.Append(Environment.NewLine);
        }
        return sb.ToString();
    }
}

/// <summary>The log file's lines: the template without message breaks, then the exception if there is one.</summary>
internal sealed class EscapedFileFormatter(string template) : ITextFormatter
{
    private readonly MessageTemplateTextFormatter _line = new(template, CultureInfo.InvariantCulture);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        var line = new StringWriter(CultureInfo.InvariantCulture);
        _line.Format(logEvent, line);
        output.Write(TextRules.EscapeForLog(line.ToString()));
        output.Write(Environment.NewLine);
        if (logEvent.Exception is { } ex) output.Write(EscapedLog.Exception(ex));
    }
}

/// <summary>The console's lines, as the simple console's single-line format writes them: "time level: category[id] message".</summary>
internal sealed class EscapedConsoleFormatter() : ConsoleFormatter(Name)
{
    public new const string Name = "grove";

    public override void Write<TState>(in LogEntry<TState> logEntry, Microsoft.Extensions.Logging.IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception) ?? "";
        if (message.Length == 0 && logEntry.Exception is null) return;
        var level = logEntry.LogLevel switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            _ => "none",
        };
        var line = $"{DateTime.Now.ToString("HH:mm:ss ", CultureInfo.InvariantCulture)}{level}: {logEntry.Category}[{logEntry.EventId.Id}] {message}";
        textWriter.Write(TextRules.EscapeForLog(line));
        // Single-line, as before: the exception follows on the same line.
        if (logEntry.Exception is { } ex) textWriter.Write(" " + EscapedLog.Exception(ex).ReplaceLineEndings(" ").TrimEnd());
        textWriter.Write(Environment.NewLine);
    }
}
