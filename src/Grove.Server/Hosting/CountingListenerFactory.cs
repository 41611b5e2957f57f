using System.Net;
using Grove.Server.Doors;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Hosting;

/// <summary>
/// Kestrel's socket transport, counting its connections with the other doors' (<see cref="ConnectionLimiter"/>): while
/// <see cref="ConnectionLimiter.SocketMax"/> sockets are open it accepts nothing, so further connections wait in the
/// listen backlog instead of taking file descriptors. Accepting and then cutting them was not enough: a burst of idle
/// HTTP connections used every descriptor before the cut ones were closed, and the process died.
/// </summary>
public sealed partial class CountingListenerFactory(IConnectionListenerFactory inner, ConnectionLimiter limiter, ILogger logger)
    : IConnectionListenerFactory
{
    /// <summary>Puts this in front of Kestrel's socket transport.</summary>
    public static void Wrap(IServiceCollection services, ConnectionLimiter limiter)
    {
        services.RemoveAll<IConnectionListenerFactory>();
        services.AddSingleton<IConnectionListenerFactory>(sp => new CountingListenerFactory(
            ActivatorUtilities.CreateInstance<SocketTransportFactory>(sp), limiter,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Grove")));
    }

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new Listener(await inner.BindAsync(endpoint, cancellationToken), limiter, logger);

    private sealed class Listener(IConnectionListener inner, ConnectionLimiter limiter, ILogger logger) : IConnectionListener
    {
        private readonly CancellationTokenSource _unbound = new();
        private readonly AcceptBackoff _backoff = new(TimeProvider.System);

        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (!limiter.TrySocketOpened())
            {
                var wait = _backoff.Failed(out var waited);
                if (waited > 0) Log.Full(logger, EndPoint.ToString() ?? "?", limiter.SocketMax, waited);
                try
                {
                    await Task.Delay(wait, _unbound.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null; // unbound while waiting
                }
            }
            _backoff.Succeeded();
            ConnectionContext? connection;
            try
            {
                connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                limiter.SocketClosed();
                throw;
            }
            if (connection is null)
            {
                limiter.SocketClosed();
                return null;
            }
            // Fires once the transport has closed the socket (at once if it already has).
            connection.ConnectionClosed.Register(static l => ((ConnectionLimiter)l!).SocketClosed(), limiter);
            return connection;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _unbound.Cancel();
            return inner.UnbindAsync(cancellationToken);
        }

        public ValueTask DisposeAsync()
        {
            _unbound.Cancel();
            return inner.DisposeAsync();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1011, LogLevel.Warning, "Not accepting on {EndPoint} for a moment: {Max} sockets are open, as many as the open-file limit leaves room for; {Waits} pause(s) since this was last logged. Everyone connected is still served")]
        public static partial void Full(ILogger logger, string endPoint, int max, int waits);
    }
}
