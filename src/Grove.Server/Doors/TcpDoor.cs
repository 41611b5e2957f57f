using Grove.Core;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Wire;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors;

/// <summary>
/// The life of a line-based TCP connection, shared by the plain and IRC doors: register a session, start its single
/// writer loop, read lines until the peer or the core ends it, leave through the core (after the commands already
/// read), and let the writer finish what is queued, cutting off a client that does not read within 5 s.
/// </summary>
public static class TcpDoor
{
    public static async Task RunAsync(LineTransport transport, ChatServer chat, DoorKind door, IEventRenderer renderer,
        Hosting.ConnectionLimiter limiter, Func<string, string> refusalLine,
        Action<Session> opened, Func<Session, (LineFramer Framer, ILineHandler Handler)> lines, Action<Exception, long> readFailed)
    {
        var remoteEndPoint = transport.RemoteEndPoint;
        var remote = remoteEndPoint?.ToString() ?? "unknown";
        var ip = (remoteEndPoint as System.Net.IPEndPoint)?.Address;
        if (limiter.TryAcquire(ip) is { } refusal)
        {
            await transport.RefuseAsync(TextRules.Utf8.GetBytes(refusalLine(refusal)));
            transport.Finished();
            return;
        }
        // One method, not two: each async method kept waiting costs every idle connection its state machine.
        try
        {
            var session = chat.Connect(door, remote, renderer, transport);
            opened(session);
            var writer = transport.StartWriter(session);
            var reason = DisconnectReason.ConnectionLost;
            try
            {
                var (framer, handler) = lines(session);
                await transport.ReadLinesAsync(framer, session, handler);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException
                                           or ConnectionResetException or ConnectionAbortedException or OperationCanceledException)
            {
                // The peer went away; that is an ordinary way to leave.
            }
            catch (Exception ex)
            {
                reason = DisconnectReason.InternalError;
                readFailed(ex, session.Id);
            }
            await chat.DisconnectAsync(session, reason);
            if (await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(5))) != writer) transport.Abort();
            await writer;
        }
        finally
        {
            limiter.Release(ip);
            transport.Finished();
        }
    }

    /// <summary>
    /// Flood control before a line is handled: waits as long as the connection's token bucket asks; false when the
    /// connection has flooded past the allowed delay (it is then being closed with "excess flood").
    /// </summary>
    public static async Task<bool> PassFloodGate(Grove.Core.Limits.FloodGate gate, ChatServer chat, Session session)
    {
        session.Touch();
        var wait = gate.Take();
        if (wait is null)
        {
            await chat.CloseAfterQueuedAsync(session, DisconnectReason.ExcessFlood, "Excess flood: you sent too many lines too fast.");
            return false;
        }
        if (wait.Value > TimeSpan.Zero) await Task.Delay(wait.Value);
        return true;
    }
}
