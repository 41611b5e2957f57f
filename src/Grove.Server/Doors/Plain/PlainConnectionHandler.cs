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
/// The plain text door's connection handler, over Grove's socket transport (<see cref="ServeAsync"/>) or, with TLS,
/// over Kestrel's; async all the way (no thread per client).
/// The first line is the person's name; after that every line is a message or a command (docs/protocol.md).
/// </summary>
public sealed partial class PlainConnectionHandler(IChatCore chat, GroveServerOptions options, ConnectionLimiter limiter,
    Grove.Core.Limits.FloodOptions flood, TimeProvider time, ILogger<PlainConnectionHandler> logger)
    : ConnectionHandler
{
    private static readonly PlainRenderer Renderer = new();
    private readonly byte[] _greeting = PlainRenderer.Greeting(options.ServerName);

    // Made once, not per connection (a method group or lambda that uses the handler is a new delegate each time).
    private TcpDoor Door => field ??= new TcpDoor(chat, DoorKind.Plain, Renderer, limiter, static refusal => $"! {refusal}\r\n",
        opened: Opened, lines: Lines, readFailed: ReadFailed, policy: Policy);

    /// <summary>One room at a time, the default room joined on taking a name.</summary>
    public static readonly DoorPolicy Policy = new(SingleRoom: true, AutoJoinDefaultRoom: true, Host: "plain.grove");

    public override Task OnConnectedAsync(ConnectionContext connection) => ServeAsync(new KestrelLineTransport(connection));

    public Task ServeAsync(LineTransport transport) => Door.ServeAsync(transport);

    private void Opened(Session session)
    {
        Log.Connected(logger, session.Id, session.RemoteAddress);
        session.Outbox.TryEnqueue(_greeting);
        session.Outbox.TryEnqueue(PlainRenderer.NamePrompt);
    }

    private void ReadFailed(Exception ex, long id) => Log.ReadFailed(logger, ex, id);

    private (LineFramer, ILineHandler) Lines(Session session) =>
        (new LineFramer(options.MaxLineBytes), new LineHandler(this, session, new Grove.Core.Limits.FloodGate(flood, time)));

    private sealed class LineHandler(PlainConnectionHandler door, Session session, Grove.Core.Limits.FloodGate gate) : ILineHandler
    {
        public Task OnLineAsync(FrameResult frame, System.Buffers.ReadOnlySequence<byte> line) => door.OnLineAsync(session, gate, frame, line);
    }

    private async Task OnLineAsync(Session session, Grove.Core.Limits.FloodGate gate, FrameResult frame, System.Buffers.ReadOnlySequence<byte> line)
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
    }

    /// <summary>The plain door's state before a name: the registered name whose password the next line is.</summary>
    private sealed class Prompt
    {
        public string? PasswordFor;
    }

    private async Task HandleLine(Session session, string text)
    {
        if (session.State == SessionState.Unregistered)
        {
            await HandlePromptLine(session, text.Trim());
            return;
        }

        var result = PlainCommandParser.Parse(text);
        if (result.Command is { } command)
        {
            if (!await AccountCommands.TryRunAsync(chat, session, command)) await chat.SubmitAsync(session, command);
            return;
        }
        if (result.Error == ErrorCode.EmptyMessage) return; // an empty line is nothing to send, not a mistake
        await chat.ReplyAsync(session, new ErrorReply(result.Error, result.ErrorText!));
    }

    // Before a name is chosen a line is a name, except the ways to leave and /login. A registered name asks for its
    // password on the next line; an empty line goes back to choosing a name.
    private async Task HandlePromptLine(Session session, string line)
    {
        var prompt = session.DoorState as Prompt ?? (Prompt)(session.DoorState = new Prompt());
        if (prompt.PasswordFor is { } account)
        {
            prompt.PasswordFor = null;
            if (line.Length > 0)
            {
                var login = await chat.LoginAsync(session, account, line, takeName: true);
                if (!login.Ok) await chat.ReplyAsync(session, AccountCommands.Failure(CommandKind.Login, login));
            }
            await PromptAgain(session);
            return;
        }
        var parsed = PlainCommandParser.Parse(line);
        if (parsed.Command is { Kind: CommandKind.Quit } quit)
        {
            await chat.SubmitAsync(session, quit);
            return;
        }
        if (parsed.Command is { Kind: CommandKind.Login } loginCommand)
        {
            await AccountCommands.TryRunAsync(chat, session, loginCommand);
            await PromptAgain(session);
            return;
        }
        if (chat.IsRegisteredName(line))
        {
            // One line that says what to do, whether the account is online (the password joins its connections) or not.
            prompt.PasswordFor = line;
            await chat.QueryAsync(session, view => view.FindPerson(line) is { } online
                ? new PasswordPromptReply(online.Name!, online: true)
                : new PasswordPromptReply(line, online: false));
            return;
        }
        await chat.ExecuteAsync(session, new ChatCommand(CommandKind.Register, Target: line));
        if (session.State == SessionState.Unregistered && !session.IsClosed) session.Outbox.TryEnqueue(PlainRenderer.NamePrompt);
    }

    // After the core's answer, in order with it: the name prompt again while there is no name.
    private async Task PromptAgain(Session session)
    {
        if (session.State == SessionState.Unregistered && !session.IsClosed)
            await chat.ReplyAsync(session, new NamePromptReply());
    }

    private static partial class Log
    {
        [LoggerMessage(101, LogLevel.Information, "Connection {Id} opened on the plain door from {Remote}")]
        public static partial void Connected(ILogger logger, long id, string remote);

        [LoggerMessage(102, LogLevel.Error, "Reading from connection {Id} failed; the connection is closed")]
        public static partial void ReadFailed(ILogger logger, Exception ex, long id);
    }
}
