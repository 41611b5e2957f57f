using System.Buffers;
using System.IO.Pipelines;
using Grove.Core;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Wire;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors;

/// <summary>
/// The life of a line-based TCP connection, shared by the plain and IRC doors: register a session, start its single
/// writer loop, read lines until the peer or the core ends it, leave through the core (after the commands already
/// read), and let the writer finish what is queued, cutting off a client that does not read within 5 s.
/// </summary>
public static class TcpDoor
{
    public static async Task RunAsync(ConnectionContext connection, ChatServer chat, DoorKind door, IEventRenderer renderer,
        Hosting.ConnectionLimiter limiter, Func<string, string> refusalLine,
        Action<Session> opened, Func<Session, PipeReader, Task> readLoop, Action<Exception, long> readFailed)
    {
        var remote = connection.RemoteEndPoint?.ToString() ?? "unknown";
        var ip = (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address;
        if (limiter.TryAcquire(ip) is { } refusal)
        {
            try
            {
                await connection.Transport.Output.WriteAsync(TextRules.Utf8.GetBytes(refusalLine(refusal)));
                await connection.Transport.Output.CompleteAsync();
            }
            catch (Exception ex) when (ex is IOException or ConnectionResetException or InvalidOperationException)
            {
            }
            return;
        }
        // One method, not two: each async method kept waiting costs every idle connection its state machine.
        try
        {
            var session = chat.Connect(door, remote, renderer, new Control(connection));
            opened(session);
            var writer = StartWriter(connection, session);
            var reason = DisconnectReason.ConnectionLost;
            try
            {
                await readLoop(session, connection.Transport.Input);
            }
            catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException)
            {
                // The peer went away; that is an ordinary way to leave.
            }
            catch (Exception ex)
            {
                reason = DisconnectReason.InternalError;
                readFailed(ex, session.Id);
            }
            await chat.DisconnectAsync(session, reason);
            if (await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(5))) != writer) connection.Abort();
            await writer;
        }
        finally
        {
            limiter.Release(ip);
        }
    }

    /// <summary>
    /// Straight to the socket when there is one without TLS in between; otherwise through Kestrel's output pipe.
    /// </summary>
    private static Task StartWriter(ConnectionContext connection, Session session)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        var tls = connection.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>() is not null;
        if (socket is null || tls) return PipeWriterLoop.RunAsync(session.Outbox, connection.Transport.Output);
        var direct = new SocketWriter(socket);
        session.Outbox.UseDirectSend(direct);
        return direct.RunAsync(session.Outbox, connection.Transport.Output);
    }

    /// <summary>
    /// Reads framed lines until the input ends, the read is cancelled or the session closes. Each complete line, or
    /// each over-long one (as <see cref="FrameResult.TooLong"/> with an empty sequence), goes to <paramref name="onLine"/>.
    /// </summary>
    public static async Task ReadLinesAsync(PipeReader input, LineFramer framer, Session session, Func<FrameResult, ReadOnlySequence<byte>, Task> onLine)
    {
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            try
            {
                while (!session.IsClosed)
                {
                    var frame = framer.TryReadLine(ref buffer, out var line);
                    if (frame == FrameResult.NeedMore) break;
                    await onLine(frame, line);
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (result.IsCompleted || result.IsCanceled || session.IsClosed) return;
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

    /// <summary>Closing on the core's request: gracefully (let the writer finish, stop reading) or at once.</summary>
    private sealed class Control(ConnectionContext connection) : IConnectionControl
    {
        public void Close(bool graceful)
        {
            if (graceful) connection.Transport.Input.CancelPendingRead();
            else connection.Abort(new ConnectionAbortedException("closed by the server"));
        }
    }
}
