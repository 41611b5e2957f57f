using System.Net;
using System.Net.Sockets;

namespace Grove.Testing;

/// <summary>
/// Ports for a test that must know its port before a server listens (a restart on the same port, a client started
/// first). Chosen below the kernel's ephemeral range: a port taken with port 0 and let go is handed out again to
/// whatever socket of the parallel tests connects next, and the server that wanted it then failed to bind.
/// </summary>
public static class TestPorts
{
    private static readonly object Gate = new();
    private static readonly HashSet<int> Given = [];

    /// <summary>A port free now, outside the ephemeral range, never given twice by this process.</summary>
    public static int Free()
    {
        var (low, high) = EphemeralRange();
        var (bottom, top) = low - 10000 >= 1000 ? (10000, low) : 65535 - high >= 1000 ? (high + 1, 65536) : (1024, 65536);
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(bottom, top);
                if (Given.Contains(port) || !CanBind(port)) continue;
                Given.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"No free port between {bottom} and {top}.");
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The ports the kernel gives to sockets that connect or listen on port 0 (Linux; 32768-60999 elsewhere).</summary>
    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0]), int.Parse(parts[1]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (32768, 60999);
        }
    }
}
