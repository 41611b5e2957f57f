using Grove.Core;
using Grove.Core.People;
using Grove.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors.Irc;

/// <summary>
/// The IRC door's connection handler: one <see cref="IrcConnection"/> per TCP connection, over Grove's socket transport
/// (<see cref="ServeAsync"/>) or, with TLS, over Kestrel's.
/// </summary>
public sealed partial class IrcConnectionHandler(ChatServer chat, IrcServerInfo info, Grove.Server.Hosting.ConnectionLimiter limiter,
    Grove.Core.Limits.FloodOptions flood, TimeProvider time, ILogger<IrcConnectionHandler> logger) : ConnectionHandler
{
    private readonly IrcRenderer _renderer = new(info);

    // Made once, not per connection (a method group or lambda that uses the handler is a new delegate each time).
    private TcpDoor Door => field ??= new TcpDoor(chat, DoorKind.Irc, _renderer, limiter, static refusal => $"ERROR :Closing Link: {refusal}\r\n",
        opened: Opened, lines: static session => (IrcConnection.NewFramer(), (IrcConnection)session.DoorState!), readFailed: ReadFailed, policy: Policy);

    /// <summary>Many channels; IRC clients join channels themselves.</summary>
    public static readonly DoorPolicy Policy = new(SingleRoom: false, AutoJoinDefaultRoom: false, Host: "irc.grove");

    public override Task OnConnectedAsync(ConnectionContext connection) => ServeAsync(new KestrelLineTransport(connection));

    public Task ServeAsync(LineTransport transport) => Door.ServeAsync(transport);

    private void Opened(Session session)
    {
        Log.Connected(logger, session.Id, session.RemoteAddress);
        session.DoorState = new IrcConnection(chat, info, _renderer, session, new Grove.Core.Limits.FloodGate(flood, time));
    }

    private void ReadFailed(Exception ex, long id) => Log.ReadFailed(logger, ex, id);

    private static partial class Log
    {
        [LoggerMessage(201, LogLevel.Information, "Connection {Id} opened on the irc door from {Remote}")]
        public static partial void Connected(ILogger logger, long id, string remote);

        [LoggerMessage(202, LogLevel.Error, "Reading from connection {Id} failed; the connection is closed")]
        public static partial void ReadFailed(ILogger logger, Exception ex, long id);
    }
}
