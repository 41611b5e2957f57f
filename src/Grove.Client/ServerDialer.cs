using System.Diagnostics;
using System.Net.Sockets;

namespace Grove.Client;

/// <summary>
/// Where the client connects: the first of its addresses that answers, and after a lost connection the next one
/// first (another node of the cluster is likely up while this one restarts), then round the list with backoff.
/// </summary>
internal sealed class ServerDialer(ClientOptions options, IClientFrontEnd ui)
{
    private readonly IReadOnlyList<ServerAddress> _servers = options.Servers.Count > 0 ? options.Servers : [ServerAddress.Default];
    private int _current = -1; // the address of the last connection
    private int _shown = -1;   // the address last said to the person, so a change is said once

    /// <summary>The first connection, or null when no address answers (said to the person).</summary>
    public async Task<ServerConnection?> ConnectFirstAsync(CancellationToken ct)
    {
        var unreachable = new List<ServerAddress>();
        for (var i = 0; i < _servers.Count; i++)
        {
            try
            {
                return Connected(i, await ServerConnection.OpenAsync(_servers[i], ct));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain)
            {
                // A name that does not resolve is a typing mistake or a DNS problem, not a stopped server: said even
                // when a later address answers, so a typo in a list of nodes does not go unnoticed.
                ui.ShowStatus($"Cannot find the host {_servers[i].Host}: check its name, or give its address.");
            }
            catch (SocketException)
            {
                unreachable.Add(_servers[i]);
            }
        }
        if (unreachable.Count > 0)
            ui.ShowStatus($"Cannot reach {string.Join(", ", unreachable)} — is the server running? (start it with: grove serve)");
        return null;
    }

    /// <summary>
    /// A new connection after a lost one, for up to <see cref="ClientOptions.ReconnectFor"/>; null when none answered
    /// in that time (said to the person).
    /// </summary>
    public async Task<ServerConnection?> ReconnectAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var order = Enumerable.Range(1, _servers.Count).Select(k => (_current + k) % _servers.Count).ToList();
        var names = string.Join(", ", order.Select(i => _servers[i]));
        var window = options.ReconnectFor;
        // One server: give it a second to come back. Several: the next one at once, it is probably up.
        var delay = _servers.Count > 1 ? TimeSpan.Zero : TimeSpan.FromSeconds(1);
        while (Stopwatch.GetElapsedTime(started) < window)
        {
            var left = window - Stopwatch.GetElapsedTime(started);
            var wait = delay < left ? delay : left;
            ui.ShowStatus(wait > TimeSpan.Zero
                ? $"Reconnecting to {names} in {wait.TotalSeconds:0} s (giving up after {window.TotalSeconds:0} s)…"
                : $"Reconnecting to {names} (giving up after {window.TotalSeconds:0} s)…");
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            foreach (var i in order)
            {
                try
                {
                    return Connected(i, await ServerConnection.OpenAsync(_servers[i], ct));
                }
                catch (SocketException)
                {
                    // Not this one now: the next, and after the whole list a longer wait.
                }
            }
            delay = TimeSpan.FromSeconds(delay == TimeSpan.Zero ? 1 : Math.Min(delay.TotalSeconds * 2, 8));
        }
        ui.ShowStatus($"Could not reconnect to {names} within {window.TotalSeconds:0} s. Giving up.");
        return null;
    }

    private ServerConnection Connected(int index, ServerConnection connection)
    {
        _current = index;
        // With one address there is nothing to choose, so nothing to say.
        if (_servers.Count > 1 && index != _shown) ui.ShowStatus($"* connected to {_servers[index]}");
        _shown = index;
        return connection;
    }
}
