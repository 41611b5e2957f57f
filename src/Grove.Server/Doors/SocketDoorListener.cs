using System.Net;
using System.Net.Sockets;
using Grove.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors;

/// <summary>
/// The listening socket of a plain-TCP line door (plain or IRC without TLS) and the connections it accepted. Each
/// accepted socket becomes a <see cref="SocketLineTransport"/> served by the door's handler; the open ones are kept in
/// a list threaded through them (two references each), so that stopping can wait for them and cut off the rest.
/// </summary>
public sealed partial class SocketDoorListener
{
    private readonly Socket? _listen;
    private readonly bool _counted; // sockets handed in were counted by whoever accepted them
    private readonly Func<LineTransport, Task> _serve;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private SocketLineTransport? _first;
    private int _open;
    private TaskCompletionSource? _drained;
    private Task? _accepting;
    private readonly AcceptBackoff _backoff;
    private readonly ConnectionLimiter? _limiter;
    private readonly string _limit = DescriptorBudget.Limit()?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";

    /// <summary>Binds and listens at once, so a port in use is reported at start-up; accepting starts with <see cref="Start"/>.</summary>
    public SocketDoorListener(IPAddress address, int port, string door, string flag, Func<LineTransport, Task> serve, ILogger logger,
        ConnectionLimiter? limiter = null, TimeProvider? time = null)
    {
        _serve = serve;
        _logger = logger;
        _limiter = limiter;
        _backoff = new AcceptBackoff(time ?? TimeProvider.System);
        _listen = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any)) _listen.DualMode = true;
            // No ReuseAddress: on Linux .NET turns that into SO_REUSEPORT as well, and a second server would then bind
            // the same port and silently take half of the connections. Bind sets SO_REUSEADDR by itself, which is
            // what a restart needs (no wait for the old connections' TIME_WAIT).
            _listen.Bind(new IPEndPoint(address, port));
            _listen.Listen(512);
        }
        catch (SocketException ex)
        {
            _listen.Dispose();
            throw ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => new GroveStartupException($"Port {port} ({door} door) is already in use. Choose another port with {flag}, or stop the program using it.", ex),
                SocketError.AccessDenied => new GroveStartupException($"Not allowed to listen on port {port} ({door} door). Choose a port above 1023 with {flag}.", ex),
                SocketError.AddressNotAvailable => new GroveStartupException($"Cannot listen on {address}: it is not an address of this machine. Choose another with --host.", ex),
                _ => new GroveStartupException($"The {door} door cannot listen on {address} port {port}: {ex.Message}", ex),
            };
        }
        EndPoint = (IPEndPoint)_listen.LocalEndPoint!;
    }

    /// <summary>
    /// Without a socket of its own: connections accepted elsewhere and already counted by the limiter are handed in
    /// with <see cref="Adopt"/> (the web door's WebSockets, routed by <see cref="Hosting.WebDoorListenerFactory"/>).
    /// </summary>
    public SocketDoorListener(IPEndPoint endPoint, Func<LineTransport, Task> serve, ILogger logger, ConnectionLimiter limiter)
    {
        _serve = serve;
        _logger = logger;
        _limiter = limiter;
        _counted = true;
        _backoff = new AcceptBackoff(TimeProvider.System);
        EndPoint = endPoint;
    }

    /// <summary>Serves a socket accepted elsewhere.</summary>
    public void Adopt(Socket socket)
    {
        var connection = new SocketLineTransport(socket, this);
        Add(connection);
        _ = _serve(connection);
    }

    /// <summary>Where it listens (with the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    public void Start() => _accepting = _listen is null ? Task.CompletedTask : AcceptLoop();

    private async Task AcceptLoop()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listen!.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return; // stopped
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return; // stopped
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // that one connection gave up while it waited in the backlog; the next may be fine
            }
            catch (SocketException ex)
            {
                // Out of file descriptors (or buffers): the connection waits in the backlog until one is free. Retrying
                // at once spun a core and filled the log, and the process died when the runtime itself found none.
                var wait = _backoff.Failed(out var failures);
                if (failures > 0) Log.AcceptFailed(_logger, EndPoint.ToString(), failures, ex.Message, _limit, Open);
                await Task.Delay(wait).ConfigureAwait(false);
                continue;
            }
            _backoff.Succeeded();
            var connection = new SocketLineTransport(socket, this);
            Add(connection);
            _ = _serve(connection);
        }
    }

    private void Add(SocketLineTransport connection)
    {
        lock (_lock)
        {
            connection.Next = _first;
            if (_first is not null) _first.Previous = connection;
            _first = connection;
            _open++;
        }
        if (!_counted) _limiter?.SocketOpened();
    }

    /// <summary>Called once by a connection when it has ended.</summary>
    internal void Remove(SocketLineTransport connection)
    {
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            if (connection.Previous is not null) connection.Previous.Next = connection.Next;
            else _first = connection.Next;
            if (connection.Next is not null) connection.Next.Previous = connection.Previous;
            connection.Previous = connection.Next = null;
            if (--_open == 0) drained = _drained;
        }
        _limiter?.SocketClosed();
        drained?.TrySetResult();
    }

    /// <summary>Connections open now.</summary>
    public int Open
    {
        get { lock (_lock) return _open; }
    }

    /// <summary>Stops accepting; the connections already open go on.</summary>
    public async Task StopAcceptingAsync()
    {
        _listen?.Dispose();
        if (_accepting is not null) await _accepting.ConfigureAwait(false);
    }

    /// <summary>Waits up to <paramref name="grace"/> for the open connections to end, then cuts off the rest.</summary>
    public async Task CloseAllAsync(TimeSpan grace)
    {
        Task drained;
        lock (_lock)
        {
            if (_open == 0) return;
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained.Task;
        }
        if (await Task.WhenAny(drained, Task.Delay(grace)).ConfigureAwait(false) == drained) return;
        List<SocketLineTransport> rest = new();
        lock (_lock)
            for (var c = _first; c is not null; c = c.Next) rest.Add(c);
        foreach (var c in rest) c.Abort();
        await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(1010, LogLevel.Warning, "Accepting a connection on {EndPoint} failed {Failures} time(s) since this was last logged: {Reason} (open-file limit {Limit}, {Connections} connections on this door); pausing and retrying, everyone connected is still served")]
        public static partial void AcceptFailed(ILogger logger, string endPoint, int failures, string reason, string limit, int connections);
    }
}
