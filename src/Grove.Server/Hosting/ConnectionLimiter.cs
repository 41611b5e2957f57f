using System.Collections.Concurrent;
using System.Net;

namespace Grove.Server.Hosting;

/// <summary>
/// Counts open connections, in all and per IP address, across every door. A connection over either limit is refused
/// with a reason before it costs anything else. Loopback is exempt from the per-address limit unless LimitLoopback.
/// </summary>
public sealed class ConnectionLimiter(GroveServerOptions options)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perIp = new();
    private int _total;

    /// <summary>Null when the connection may stay (call <see cref="Release"/> when it ends); otherwise why not.</summary>
    public string? TryAcquire(IPAddress? address)
    {
        if (Interlocked.Increment(ref _total) > options.MaxConnections)
        {
            Interlocked.Decrement(ref _total);
            return "The server is full; try again later.";
        }
        if (address is null || IPAddress.IsLoopback(address) && !options.LimitLoopback) return null;
        var ip = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        var count = _perIp.AddOrUpdate(ip, 1, (_, n) => n + 1);
        if (count > options.MaxConnectionsPerIp)
        {
            Release(ip); // undoes both counts
            return $"Too many connections from your address (at most {options.MaxConnectionsPerIp}).";
        }
        return null;
    }

    public void Release(IPAddress? address)
    {
        Interlocked.Decrement(ref _total);
        if (address is null || IPAddress.IsLoopback(address) && !options.LimitLoopback) return;
        var ip = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        while (_perIp.TryGetValue(ip, out var n))
        {
            if (n <= 1 ? _perIp.TryRemove(new KeyValuePair<IPAddress, int>(ip, n)) : _perIp.TryUpdate(ip, n - 1, n)) break;
        }
    }
}
