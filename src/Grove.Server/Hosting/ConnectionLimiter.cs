using System.Collections.Concurrent;
using System.Net;

namespace Grove.Server.Hosting;

/// <summary>
/// Counts open connections, in all and per IP address, across every door. A connection over either limit is refused
/// with a reason before it costs anything else. Loopback is exempt from the per-address limit unless LimitLoopback.
/// Separately it counts open sockets (every door's, including plain HTTP requests), so that Kestrel's connections,
/// which have no session, cannot use up the file descriptors either.
/// </summary>
public sealed class ConnectionLimiter(GroveServerOptions options)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perIp = new();
    private int _total;

    /// <summary>Connections accepted at once: MaxConnections, or fewer when the open-file limit leaves room for fewer.</summary>
    public int Max { get; private set; } = options.MaxConnections;

    /// <summary>Sockets open at once, every door's, including plain HTTP requests: what the open-file limit leaves room for.</summary>
    public int SocketMax { get; private set; } = int.MaxValue;

    /// <summary>At start, before any connection: fit under the open-file limit (<see cref="DescriptorBudget"/>).</summary>
    public void FitDescriptors(int sockets)
    {
        SocketMax = sockets;
        Max = Math.Min(Max, sockets);
    }

    private int _sockets;

    /// <summary>A socket of Grove's own transport was accepted; its session (if any) is limited by <see cref="TryAcquire"/>.</summary>
    public void SocketOpened() => Interlocked.Increment(ref _sockets);

    /// <summary>Kestrel accepts a connection only while fewer than <see cref="SocketMax"/> sockets are open (<see cref="CountingListenerFactory"/>).</summary>
    public bool TrySocketOpened()
    {
        if (Interlocked.Increment(ref _sockets) <= SocketMax) return true;
        Interlocked.Decrement(ref _sockets);
        return false;
    }

    public void SocketClosed() => Interlocked.Decrement(ref _sockets);

    /// <summary>Null when the connection may stay (call <see cref="Release"/> when it ends); otherwise why not.</summary>
    public string? TryAcquire(IPAddress? address)
    {
        if (Interlocked.Increment(ref _total) > Max)
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
