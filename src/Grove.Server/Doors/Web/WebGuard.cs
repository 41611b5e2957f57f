using System.Collections.Concurrent;
using System.Net;
using Grove.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors.Web;

/// <summary>
/// What the web door does before any endpoint: protective headers on every answer, and the Host check. A page on
/// another site whose name is made to resolve to this server (DNS rebinding) is, to the browser, its own origin, so the
/// Origin check passes; only the Host header still carries the attacker's name.
/// </summary>
public static partial class WebGuard
{
    /// <summary>Only the page's own files may script or style it, talk to the server, or frame it: none may.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Adds the headers and the Host check to the pipeline, ahead of everything else.</summary>
    public static void Use(WebApplication app, GroveServerOptions options, ILogger logger)
    {
        var hosts = new AllowedHostNames(options);
        var logged = new ConcurrentDictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            var path = context.Request.Path;
            // Health checks and metrics scrapers may use any name; they carry nothing a page could steal.
            var monitoring = path.StartsWithSegments("/healthz") || path.StartsWithSegments("/metrics");
            if (!monitoring && !hosts.Allows(context.Request.Host))
            {
                var name = context.Request.Host.Host;
                // Once per name (and a bounded number of names), so a page retrying in a loop cannot fill the log.
                if (logged.Count < 64 && logged.TryAdd(name, true))
                    Log.HostRefused(logger, name, context.Connection.RemoteIpAddress?.ToString() ?? "?");
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync(
                    $"This server does not answer to the name {name}. Its operator can allow the name with the AllowedHosts setting (--allowed-hosts).");
                return;
            }
            await next(context);
        });
    }

    private static partial class Log
    {
        [LoggerMessage(304, LogLevel.Warning, "Refused web requests for the host name {Host} (first from {Remote}); allow it with --allowed-hosts if it is this server's")]
        public static partial void HostRefused(ILogger logger, string host, string remote);
    }
}

/// <summary>
/// The host names the web door answers to: any IP address (a rebinding needs a name), localhost and names under it
/// (RFC 6761 keeps them on this machine), the --host name, and the AllowedHosts setting (`name`, `*.domain`, or `*`
/// for any).
/// </summary>
public sealed class AllowedHostNames
{
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase) { "localhost" };
    private readonly List<string> _suffixes = [".localhost"];
    private readonly bool _any;

    public AllowedHostNames(GroveServerOptions options)
    {
        if (options.Host is not ("*" or "any")) _names.Add(options.Host);
        foreach (var raw in options.AllowedHosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // A port written with the name is not part of it.
            var entry = raw.Contains(':') && !raw.StartsWith('[') ? raw[..raw.IndexOf(':')] : raw;
            entry = entry.TrimEnd('.');
            if (entry == "*") _any = true;
            else if (entry.StartsWith("*.", StringComparison.Ordinal)) _suffixes.Add(entry[1..]);
            else _names.Add(entry);
        }
    }

    public bool Allows(HostString host)
    {
        // Browsers always send Host; a request without one (HTTP/1.0) is no page's.
        if (_any || !host.HasValue) return true;
        var name = host.Host;
        if (IPAddress.TryParse(name.Trim('[', ']'), out _)) return true;
        name = name.TrimEnd('.');
        return _names.Contains(name) || _suffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase));
    }
}
