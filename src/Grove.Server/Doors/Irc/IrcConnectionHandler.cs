using Grove.Core;
using Grove.Core.Delivery;
using Grove.Core.People;
using Grove.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors.Irc;

/// <summary>The IRC door's Kestrel connection handler: one <see cref="IrcConnection"/> per TCP connection.</summary>
public sealed partial class IrcConnectionHandler(ChatServer chat, IrcServerInfo info, ILogger<IrcConnectionHandler> logger) : ConnectionHandler
{
    private readonly IrcRenderer _renderer = new(info);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint?.ToString() ?? "unknown";
        var control = new Control(connection);
        var session = chat.Connect(DoorKind.Irc, remote, _renderer, control);
        Log.Connected(logger, session.Id, remote);
        var irc = new IrcConnection(chat, info, _renderer, session);
        session.DoorState = irc;

        var writer = PipeWriterLoop.RunAsync(session.Outbox, connection.Transport.Output);
        var reason = DisconnectReason.ConnectionLost;
        try
        {
            await irc.ReadLoop(connection.Transport.Input);
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            reason = DisconnectReason.InternalError;
            Log.ReadFailed(logger, ex, session.Id);
        }
        await chat.DisconnectAsync(session, reason);
        if (await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(5))) != writer) connection.Abort();
        await writer;
    }

    private sealed class Control(ConnectionContext connection) : IConnectionControl
    {
        public void Close(bool graceful)
        {
            if (graceful) connection.Transport.Input.CancelPendingRead();
            else connection.Abort(new ConnectionAbortedException("closed by the server"));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(201, LogLevel.Information, "Connection {Id} opened on the irc door from {Remote}")]
        public static partial void Connected(ILogger logger, long id, string remote);

        [LoggerMessage(202, LogLevel.Error, "Reading from connection {Id} failed; the connection is closed")]
        public static partial void ReadFailed(ILogger logger, Exception ex, long id);
    }
}
