using System.IO.Pipelines;
using Grove.Core;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Server.Hosting;
using Grove.Wire;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors.Plain;

/// <summary>
/// The plain text door: one Kestrel connection handler, async all the way (no thread per client).
/// The first line is the person's name; after that every line is a message or a command (docs/protocol.md).
/// </summary>
public sealed partial class PlainConnectionHandler(ChatServer chat, GroveServerOptions options, ILogger<PlainConnectionHandler> logger)
    : ConnectionHandler
{
    private static readonly PlainRenderer Renderer = new();
    private readonly byte[] _greeting = PlainRenderer.Greeting(options.ServerName);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint?.ToString() ?? "unknown";
        var control = new ConnectionControl(connection);
        var session = chat.Connect(DoorKind.Plain, remote, Renderer, control);
        Log.Connected(logger, session.Id, remote);

        var writer = PipeWriterLoop.RunAsync(session.Outbox, connection.Transport.Output);
        session.Outbox.TryEnqueue(_greeting);
        session.Outbox.TryEnqueue(PlainRenderer.NamePrompt);

        var reason = DisconnectReason.ConnectionLost;
        try
        {
            await ReadLoop(session, connection.Transport.Input);
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException)
        {
            // The peer went away; that is an ordinary way to leave.
        }
        catch (Exception ex)
        {
            reason = DisconnectReason.InternalError;
            Log.ReadFailed(logger, ex, session.Id);
        }

        await chat.DisconnectAsync(session, reason);
        // The writer ends once the core closes the session after its last replies; a client that does not read
        // them cannot hold the connection open.
        if (await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(5))) != writer) connection.Abort();
        await writer;
    }

    private async Task ReadLoop(Session session, PipeReader input)
    {
        var framer = new LineFramer(options.MaxLineBytes);
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
                    if (frame == FrameResult.TooLong)
                    {
                        await chat.ReplyAsync(session, new ErrorReply(ErrorCode.InputTooLong,
                            $"That line is longer than {options.MaxLineBytes} bytes; it was not sent."));
                        continue;
                    }
                    if (!TextRules.TryDecodeUtf8(line, out var text))
                    {
                        await chat.ReplyAsync(session, new ErrorReply(ErrorCode.InvalidUtf8,
                            "That line is not valid UTF-8 text; it was not sent."));
                        continue;
                    }
                    await HandleLine(session, text);
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (result.IsCompleted || result.IsCanceled || session.IsClosed) return;
        }
    }

    private async Task HandleLine(Session session, string text)
    {
        if (session.State == SessionState.Unregistered)
        {
            // Before a name is chosen a line is a name, except the ways to leave.
            var parsed = PlainCommandParser.Parse(text.Trim());
            if (parsed.Command is { Kind: CommandKind.Quit } quit)
            {
                await chat.SubmitAsync(session, quit);
                return;
            }
            await chat.ExecuteAsync(session, new ChatCommand(CommandKind.Register, Target: text.Trim()));
            if (session.State == SessionState.Unregistered && !session.IsClosed)
                session.Outbox.TryEnqueue(PlainRenderer.NamePrompt);
            return;
        }

        var result = PlainCommandParser.Parse(text);
        if (result.Command is { } command)
        {
            await chat.SubmitAsync(session, command);
            return;
        }
        if (result.Error == ErrorCode.EmptyMessage) return; // an empty line is nothing to send, not a mistake
        await chat.ReplyAsync(session, new ErrorReply(result.Error, result.ErrorText!));
    }

    private sealed class ConnectionControl(ConnectionContext connection) : IConnectionControl
    {
        public void Close(bool graceful)
        {
            if (graceful) connection.Transport.Input.CancelPendingRead();
            else connection.Abort(new ConnectionAbortedException("closed by the server"));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(101, LogLevel.Information, "Connection {Id} opened on the plain door from {Remote}")]
        public static partial void Connected(ILogger logger, long id, string remote);

        [LoggerMessage(102, LogLevel.Error, "Reading from connection {Id} failed; the connection is closed")]
        public static partial void ReadFailed(ILogger logger, Exception ex, long id);
    }
}
