using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Grove.Server.Doors;
using Grove.Server.Doors.Web;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Hosting;

/// <summary>The web door's HTTP address, told apart from Kestrel's other listeners by its type.</summary>
public sealed class WebDoorEndPoint(IPAddress address, int port) : IPEndPoint(address, port);

/// <summary>
/// The web door's port: Grove accepts the sockets and looks at the first bytes of each (without taking them,
/// MSG_PEEK). A WebSocket upgrade (GET /ws) stays on Grove's own socket transport, where an idle connection holds no
/// buffer, pipe or writer (<see cref="SocketLineTransport"/>); anything else goes to Kestrel as a socket connection
/// (pages, the API, /metrics, /healthz). Other endpoints (the TLS ports) bind through Kestrel's transport as before.
/// </summary>
public sealed partial class WebDoorListenerFactory(IConnectionListenerFactory inner, ConnectionLimiter limiter, ILogger logger,
    IServiceProvider services) : IConnectionListenerFactory
{
    /// <summary>How long a new connection may take to send the start of its request before it is closed.</summary>
    public static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Puts this in front of Kestrel's transport (itself counted, <see cref="CountingListenerFactory"/>).</summary>
    public static void Wrap(IServiceCollection services, ConnectionLimiter limiter)
    {
        CountingListenerFactory.Wrap(services, limiter);
        var counting = services.Last(d => d.ServiceType == typeof(IConnectionListenerFactory));
        services.RemoveAll<IConnectionListenerFactory>();
        services.AddSingleton<IConnectionListenerFactory>(sp => new WebDoorListenerFactory(
            (IConnectionListenerFactory)counting.ImplementationFactory!(sp), limiter,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Grove"), sp));
    }

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not WebDoorEndPoint web) return inner.BindAsync(endpoint, cancellationToken);
        return ValueTask.FromResult<IConnectionListener>(new Listener(web, limiter, logger, services.GetRequiredService<WebSocketDoor>()));
    }

    private sealed class Listener : IConnectionListener
    {
        private readonly Socket _listen;
        private readonly ConnectionLimiter _limiter;
        private readonly ILogger _logger;
        private readonly SocketConnectionContextFactory _kestrel;
        private readonly Channel<ConnectionContext> _forKestrel = Channel.CreateUnbounded<ConnectionContext>();
        private readonly SocketDoorListener _websockets;
        private readonly AcceptBackoff _backoff = new(TimeProvider.System);
        private readonly Task _accepting;

        public Listener(WebDoorEndPoint endPoint, ConnectionLimiter limiter, ILogger logger, WebSocketDoor door)
        {
            _limiter = limiter;
            _logger = logger;
            _listen = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endPoint.Address.Equals(IPAddress.IPv6Any)) _listen.DualMode = true;
                _listen.Bind(new IPEndPoint(endPoint.Address, endPoint.Port));
                _listen.Listen(512);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                _listen.Dispose();
                throw new AddressInUseException(ex.Message, ex); // Kestrel reports it with the address
            }
            catch
            {
                _listen.Dispose();
                throw;
            }
            EndPoint = new WebDoorEndPoint(endPoint.Address, ((IPEndPoint)_listen.LocalEndPoint!).Port);
            _kestrel = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), logger);
            _websockets = new SocketDoorListener((IPEndPoint)EndPoint, door.Door.ServeAsync, logger, limiter);
            _accepting = AcceptLoop();
        }

        public EndPoint EndPoint { get; }

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _forKestrel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return null; // unbound
            }
        }

        private async Task AcceptLoop()
        {
            while (true)
            {
                // While every descriptor the open-file limit leaves is in use, connections wait in the backlog.
                if (!_limiter.TrySocketOpened())
                {
                    var wait = _backoff.Failed(out var waited);
                    if (waited > 0) Log.Full(_logger, EndPoint.ToString() ?? "?", _limiter.SocketMax, waited);
                    await Task.Delay(wait).ConfigureAwait(false);
                    if (_stopped) return;
                    continue;
                }
                Socket socket;
                try
                {
                    socket = await _listen.AcceptAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
                {
                    _limiter.SocketClosed();
                    return; // stopped
                }
                catch (SocketException ex)
                {
                    _limiter.SocketClosed();
                    if (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset) continue;
                    var wait = _backoff.Failed(out var failures);
                    if (failures > 0) Log.AcceptFailed(_logger, EndPoint.ToString() ?? "?", failures, ex.Message);
                    await Task.Delay(wait).ConfigureAwait(false);
                    continue;
                }
                _backoff.Succeeded();
                _ = RouteAsync(socket);
            }
        }

        private volatile bool _stopped;

        /// <summary>Waits for the request's first bytes and hands the socket to the WebSocket door or to Kestrel.</summary>
        private async Task RouteAsync(Socket socket)
        {
            bool? upgrade;
            try
            {
                upgrade = await PeekAsync(socket).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or TimeoutException)
            {
                upgrade = null;
            }
            if (upgrade is null || _stopped)
            {
                socket.Dispose();
                _limiter.SocketClosed();
                return;
            }
            if (upgrade.Value)
            {
                _websockets.Adopt(socket);
                return;
            }
            socket.NoDelay = true;
            var connection = _kestrel.Create(socket);
            connection.ConnectionClosed.Register(static l => ((ConnectionLimiter)l!).SocketClosed(), _limiter);
            if (!_forKestrel.Writer.TryWrite(connection)) await connection.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>True for a WebSocket upgrade, false for anything else, null when the peer left before saying.</summary>
        private static async Task<bool?> PeekAsync(Socket socket)
        {
            var start = new byte[8];
            var deadline = Environment.TickCount64 + (long)FirstBytesTimeout.TotalMilliseconds;
            while (true)
            {
                // A zero-byte receive waits for input without a buffer and without taking anything.
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).AsTask().WaitAsync(FirstBytesTimeout).ConfigureAwait(false);
                var n = socket.Receive(start, SocketFlags.Peek);
                if (n == 0) return null;
                if (WebHandshake.IsUpgradeRequest(start.AsSpan(0, n)) is { } answer) return answer;
                // The first bytes came without the rest of "GET /ws ": rare (a request typed by hand); look again shortly.
                if (Environment.TickCount64 > deadline) return null;
                await Task.Delay(10).ConfigureAwait(false);
            }
        }

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _stopped = true;
            _listen.Dispose();
            await _accepting.ConfigureAwait(false);
            _forKestrel.Writer.TryComplete();
        }

        public async ValueTask DisposeAsync()
        {
            await UnbindAsync().ConfigureAwait(false);
            await _websockets.CloseAllAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            _kestrel.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1012, LogLevel.Warning, "Not accepting on {EndPoint} for a moment: {Max} sockets are open, as many as the open-file limit leaves room for; {Waits} pause(s) since this was last logged. Everyone connected is still served")]
        public static partial void Full(ILogger logger, string endPoint, int max, int waits);

        [LoggerMessage(1013, LogLevel.Warning, "Accepting a connection on {EndPoint} failed {Failures} time(s) since this was last logged: {Reason}; pausing and retrying, everyone connected is still served")]
        public static partial void AcceptFailed(ILogger logger, string endPoint, int failures, string reason);
    }
}
