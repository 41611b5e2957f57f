using System.IO.Pipelines;
using Grove.Core;
using Grove.Core.Commands;
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
public sealed partial class PlainConnectionHandler(ChatServer chat, GroveServerOptions options, ConnectionLimiter limiter,
    Grove.Core.Limits.FloodOptions flood, TimeProvider time, ILogger<PlainConnectionHandler> logger)
    : ConnectionHandler
{
    private static readonly PlainRenderer Renderer = new();
    private readonly byte[] _greeting = PlainRenderer.Greeting(options.ServerName);

    public override Task OnConnectedAsync(ConnectionContext connection) =>
        TcpDoor.RunAsync(connection, chat, DoorKind.Plain, Renderer, limiter, refusal => $"! {refusal}\r\n",
            opened: session =>
            {
                Log.Connected(logger, session.Id, session.RemoteAddress);
                session.Outbox.TryEnqueue(_greeting);
                session.Outbox.TryEnqueue(PlainRenderer.NamePrompt);
            },
            readLoop: ReadLoop,
            readFailed: (ex, id) => Log.ReadFailed(logger, ex, id));

    private Task ReadLoop(Session session, PipeReader input)
    {
        var gate = new Grove.Core.Limits.FloodGate(flood, time);
        return TcpDoor.ReadLinesAsync(input, new LineFramer(options.MaxLineBytes), session, async (frame, line) =>
        {
            if (!await TcpDoor.PassFloodGate(gate, chat, session)) return;
            if (frame == FrameResult.TooLong)
            {
                await chat.ReplyAsync(session, new ErrorReply(ErrorCode.InputTooLong,
                    $"That line is longer than {options.MaxLineBytes} bytes; it was not sent."));
                return;
            }
            if (!TextRules.TryDecodeUtf8(line, out var text))
            {
                await chat.ReplyAsync(session, new ErrorReply(ErrorCode.InvalidUtf8, "That line is not valid UTF-8 text; it was not sent."));
                return;
            }
            await HandleLine(session, text);
        });
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

    private static partial class Log
    {
        [LoggerMessage(101, LogLevel.Information, "Connection {Id} opened on the plain door from {Remote}")]
        public static partial void Connected(ILogger logger, long id, string remote);

        [LoggerMessage(102, LogLevel.Error, "Reading from connection {Id} failed; the connection is closed")]
        public static partial void ReadFailed(ILogger logger, Exception ex, long id);
    }
}
