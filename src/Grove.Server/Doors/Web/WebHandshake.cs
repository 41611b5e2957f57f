using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Grove.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace Grove.Server.Doors.Web;

/// <summary>
/// The opening handshake of Grove's WebSocket (RFC 6455 section 4.2): the client's upgrade request for /ws, checked
/// the way the web door checks every request (Host, see <see cref="WebGuard"/>; Origin), answered with 101 and
/// Sec-WebSocket-Accept, or with an HTTP status and one line a person can read.
/// </summary>
public sealed class WebHandshake(GroveServerOptions options)
{
    /// <summary>The longest request head read; a longer one is refused (431).</summary>
    public const int MaxHeadBytes = 8 * 1024;

    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"; // section 1.3
    private readonly AllowedHostNames _hosts = new(options);

    /// <summary>True when <paramref name="start"/> (the first bytes of a request) is a GET for /ws, as far as it goes.</summary>
    public static bool? IsUpgradeRequest(ReadOnlySpan<byte> start)
    {
        ReadOnlySpan<byte> prefix = "GET /ws"u8;
        var n = Math.Min(start.Length, prefix.Length);
        if (!start[..n].SequenceEqual(prefix[..n])) return false;
        if (start.Length <= prefix.Length) return null; // not enough yet to tell "/ws" from "/wsx"
        return start[prefix.Length] is (byte)' ' or (byte)'?';
    }

    /// <summary>Finds the end of the request head: its length with the blank line, or -1 when not all there yet.</summary>
    public static int HeadLength(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8) ? (int)reader.Consumed : -1;
    }

    /// <summary>The answer to a whole request head: 101 and true, or a refusal and false.</summary>
    public bool Answer(ReadOnlySequence<byte> head, bool https, out byte[] response, out string? refusal)
    {
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var request = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + ", " + value : value;
        }
        string? Header(string name) => headers.TryGetValue(name, out var v) ? v : null;

        var host = Header("Host");
        var origin = Header("Origin");
        refusal = null;
        if (request.Length != 3 || request[0] != "GET" || request[2] != "HTTP/1.1")
            return Refuse(400, "Bad Request", "A WebSocket opens with GET /ws HTTP/1.1.", out response);
        if (!_hosts.Allows(host is null ? default : new HostString(host)))
        {
            refusal = $"host {host}";
            return Refuse(403, "Forbidden",
                $"This server does not answer to the name {new HostString(host ?? "").Host}. Its operator can allow the name with the AllowedHosts setting (--allowed-hosts).", out response);
        }
        if (!OriginAllowed(origin, host, https))
        {
            refusal = $"origin {origin}";
            return Refuse(403, "Forbidden", "This origin may not use Grove's WebSocket.", out response);
        }
        if (!Contains(Header("Upgrade"), "websocket") || !Contains(Header("Connection"), "upgrade"))
            return Refuse(400, "Bad Request", "This is Grove's WebSocket endpoint: connect with a WebSocket client.", out response);
        if (Header("Sec-WebSocket-Version") != "13")
            return Refuse(426, "Upgrade Required", "Grove speaks WebSocket version 13 (RFC 6455).", out response, "Sec-WebSocket-Version: 13\r\n");
        var key = Header("Sec-WebSocket-Key");
        Span<byte> nonce = stackalloc byte[18];
        if (key is null || !Convert.TryFromBase64String(key, nonce, out var n) || n != 16)
            return Refuse(400, "Bad Request", "The Sec-WebSocket-Key header must be 16 bytes in base64.", out response);
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));
        response = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n");
        return true;
    }

    /// <summary>No Origin (not a browser), the same origin, or an allowed one.</summary>
    public bool OriginAllowed(string? origin, string? host, bool https)
    {
        if (string.IsNullOrEmpty(origin)) return true;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)) return false;
        var sameOrigin = string.Equals(uri.Authority, host, StringComparison.OrdinalIgnoreCase) && uri.Scheme == (https ? "https" : "http");
        return sameOrigin || options.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
    }

    private static bool Contains(string? list, string token) =>
        list is not null && list.Split(',').Any(t => string.Equals(t.Trim(), token, StringComparison.OrdinalIgnoreCase));

    /// <summary>An HTTP answer with a one-line body, after which the connection closes.</summary>
    public static bool Refuse(int status, string reason, string body, out byte[] response, string extraHeaders = "")
    {
        var bytes = Encoding.UTF8.GetBytes(body + "\n");
        response = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {bytes.Length}\r\n" +
                                           $"Connection: close\r\n{extraHeaders}\r\n").Concat(bytes).ToArray();
        return false;
    }
}
