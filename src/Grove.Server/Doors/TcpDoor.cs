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
/// One per door; what differs between the doors comes in as its arguments.
/// </summary>
public sealed class TcpDoor
{
    private readonly IChatCore chat;
    private readonly DoorPolicy? policy;
    private readonly DoorKind door;
    private readonly IEventRenderer renderer;
    private readonly Hosting.ConnectionLimiter limiter;
    private readonly Func<string, byte[]> refusal;
    private readonly Action<Session> opened;
    private readonly Func<LineTransport, Session, (IFrameReader Reader, ILineHandler Handler)> frames;
    private readonly Action<Exception, long> readFailed;

    /// <summary>A door whose input is framed by <paramref name="frames"/> (the web door's WebSocket).</summary>
    public TcpDoor(IChatCore chat, DoorKind door, IEventRenderer renderer, Hosting.ConnectionLimiter limiter,
        Func<string, byte[]> refusal, Action<Session> opened, Func<LineTransport, Session, (IFrameReader Reader, ILineHandler Handler)> frames,
        Action<Exception, long> readFailed, DoorPolicy? policy = null)
    {
        this.policy = policy;
        this.chat = chat;
        this.door = door;
        this.renderer = renderer;
        this.limiter = limiter;
        this.refusal = refusal;
        this.opened = opened;
        this.frames = frames;
        this.readFailed = readFailed;
    }

    /// <summary>A line door: its refusal is one line, its input lines.</summary>
    public TcpDoor(IChatCore chat, DoorKind door, IEventRenderer renderer, Hosting.ConnectionLimiter limiter,
        Func<string, string> refusalLine, Action<Session> opened, Func<Session, (LineFramer Framer, ILineHandler Handler)> lines,
        Action<Exception, long> readFailed, DoorPolicy? policy = null)
        : this(chat, door, renderer, limiter, r => TextRules.Utf8.GetBytes(refusalLine(r)), opened,
            (_, s) => lines(s) is var (framer, handler) ? (new LineFrames(framer), handler) : default, readFailed, policy)
    {
    }

    /// <summary>Serves one connection until it ends.</summary>
    public Task ServeAsync(LineTransport transport) => transport.RunAsync(this);

    /// <summary>
    /// Opens a session for the connection and starts its writer; null when the connection is refused (too many from
    /// its address, or in all), with <paramref name="refused"/> sending the reason.
    /// </summary>
    public Session? Open(LineTransport transport, out Task refused)
    {
        var remoteEndPoint = transport.RemoteEndPoint;
        var ip = (remoteEndPoint as System.Net.IPEndPoint)?.Address;
        if (limiter.TryAcquire(ip) is { } refusal)
        {
            refused = transport.RefuseAsync(this.refusal(refusal));
            return null;
        }
        refused = Task.CompletedTask;
        transport.LimitedAddress = ip;
        try
        {
            var session = chat.Connect(door, remoteEndPoint?.ToString() ?? "unknown", renderer, transport, policy);
            transport.StartWriter(session); // before anything is queued: the door's greeting may go out at once
            opened(session);
            return session;
        }
        catch
        {
            limiter.Release(ip);
            throw;
        }
    }

    /// <summary>
    /// The door's framer and handler for a session just opened; a handler with something to say after the last byte
    /// (a WebSocket's Close frame) becomes the transport's <see cref="LineTransport.Farewell"/>.
    /// </summary>
    public (IFrameReader Reader, ILineHandler Handler) Lines(LineTransport transport, Session session)
    {
        var made = frames(transport, session);
        transport.Farewell = made.Handler as IFarewell;
        return made;
    }

    /// <summary>
    /// The error a read ended with, as <see cref="CloseAsync"/> takes it: null for the ways a peer goes away (an
    /// ordinary way to leave), the exception itself for anything unexpected.
    /// </summary>
    public static Exception? Unexpected(Exception ex) =>
        ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException
            or ConnectionResetException or ConnectionAbortedException or OperationCanceledException ? null : ex;

    /// <summary>
    /// After reading ended: leave through the core, let the writer send what is queued (at most 5 s), and give the
    /// connection's place back. <paramref name="failure"/> is an unexpected error from reading, if any.
    /// </summary>
    public async Task CloseAsync(LineTransport transport, Session session, Exception? failure)
    {
        try
        {
            var reason = DisconnectReason.ConnectionLost;
            if (failure is not null)
            {
                reason = DisconnectReason.InternalError;
                readFailed(failure, session.Id);
            }
            await chat.DisconnectAsync(session, reason);
            var writer = transport.WriterFinished(session);
            if (!writer.IsCompleted)
            {
                // WaitAsync's timer goes away with the wait (a Task.Delay would stay queued for the whole 5 s, per
                // connection: 10,000 leaving at once kept 1.7 MB of timers).
                try
                {
                    await writer.WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (TimeoutException)
                {
                    transport.Abort();
                    await writer;
                }
            }
        }
        finally
        {
            limiter.Release(transport.LimitedAddress);
        }
    }

    /// <summary>
    /// Flood control before a line is handled: waits as long as the connection's token bucket asks; false when the
    /// connection has flooded past the allowed delay (it is then being closed with "excess flood").
    /// </summary>
    public static async Task<bool> PassFloodGate(Grove.Core.Limits.FloodGate gate, IChatCore chat, Session session)
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
