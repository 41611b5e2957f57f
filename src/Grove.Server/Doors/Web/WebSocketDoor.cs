using System.Buffers;
using System.Text;
using System.Text.Json;
using Grove.Core;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Server.Hosting;
using Grove.Wire;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors.Web;

/// <summary>
/// The WebSocket door at /ws: JSON objects both ways (docs/protocol.md, "Web door"). It runs on the same connection
/// life as the line doors (<see cref="TcpDoor"/>): Grove's socket transport on the HTTP port, Kestrel's TLS on the
/// HTTPS port; <see cref="WebSocketConnection"/> reads the upgrade request and then the frames.
/// </summary>
public sealed partial class WebSocketDoor(IChatCore chat, GroveServerOptions options, ConnectionLimiter limiter,
    Grove.Core.Limits.FloodOptions flood, TimeProvider time, ILogger<WebSocketDoor> logger)
{
    /// <summary>Renders every web event, once per event (the renderer counts, for tests).</summary>
    public WebRenderer Renderer { get; } = new();

    private readonly WebHandshake _handshake = new(options);

    /// <summary>The door for connections without TLS (Grove's socket transport).</summary>
    public TcpDoor Door => field ??= Make(https: false);

    /// <summary>The door for connections on the HTTPS port (Kestrel does the TLS).</summary>
    public TcpDoor TlsDoor => field ??= Make(https: true);

    private TcpDoor Make(bool https) => new(chat, DoorKind.Web, Renderer, limiter,
        refusal => { WebHandshake.Refuse(503, "Service Unavailable", refusal, out var response); return response; },
        opened: s => Log.Connected(logger, s.Id, s.RemoteAddress),
        frames: (t, s) => Frames(t, s, https), readFailed: (ex, id) => Log.ReadFailed(logger, ex, id), policy: WebRenderer.Policy);

    private (IFrameReader, ILineHandler) Frames(LineTransport transport, Session session, bool https)
    {
        var connection = new WebSocketConnection(this, session, transport, new Grove.Core.Limits.FloodGate(flood, time), https);
        session.DoorState = connection; // the renderer asks it whether the handshake is done
        session.EncodingKey = 0; // rendered alone (as nothing) until the handshake is done, never into the shared frames
        return (connection, connection);
    }

    internal IChatCore Chat => chat;
    internal GroveServerOptions Options => options;
    internal WebHandshake Handshake => _handshake;
    internal void HandshakeRefused(string why, string remote) => Log.HandshakeRefused(logger, why, remote);

    /// <summary>Frames of one message that count as one more line in flood control.</summary>
    public const int FramesPerLine = 8;

    /// <summary>A text message from a connection that finished its handshake.</summary>
    internal Task HandleAsync(Session session, string text) => Handle(session, text);

    private async Task Handle(Session session, string text)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
            WebMessageFields.ReadEveryString(doc.RootElement);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            await chat.ReplyAsync(session, new ErrorReply(ErrorCode.BadArgument, "That was not a JSON object."));
            return;
        }
        catch (InvalidOperationException)
        {
            // A \ud800 escape without its other half parses as JSON but cannot be read as a string.
            await chat.ReplyAsync(session, new ErrorReply(ErrorCode.BadArgument, "That message held a \\u escape that is half a character."));
            return;
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeEl) || typeEl.ValueKind != JsonValueKind.String)
        {
            await chat.ReplyAsync(session, new ErrorReply(ErrorCode.BadArgument, "Every message needs a \"type\"."));
            return;
        }
        string? Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var type = typeEl.GetString();
        if (WebMessageFields.Problem(root) is { } problem)
        {
            await chat.ReplyAsync(session, new ErrorReply(ErrorCode.BadArgument, problem));
            return;
        }
        if (session.State != SessionState.Registered && type is not ("hello" or "ping" or "quit"))
        {
            await chat.ReplyAsync(session, new ErrorReply(ErrorCode.NotRegistered, "Choose a name first (hello)."));
            return;
        }
        var room = Str("room");
        var body = Str("text");
        if (body is not null && TextRules.Utf8.GetByteCount(body) > options.MaxLineBytes)
        {
            await chat.ReplyAsync(session, new ErrorReply(ErrorCode.InputTooLong, $"Messages are limited to {options.MaxLineBytes} bytes."));
            return;
        }
        switch (type)
        {
            case "hello":
                if (session.State == SessionState.Registered) { await chat.ReplyAsync(session, new ErrorReply(ErrorCode.AlreadyRegistered, "You already have a name; use nick to change it.")); return; }
                await Hello(session, (Str("name") ?? "").Trim(), Str("password"), Str("token"));
                return;
            case "say": await Submit(session, new ChatCommand(CommandKind.Say, Target: room, Text: body ?? "")); return;
            case "me": await Submit(session, new ChatCommand(CommandKind.Me, Target: room, Text: body ?? "")); return;
            case "msg": await Submit(session, new ChatCommand(CommandKind.Msg, Target: Str("to") ?? "", Text: body ?? "")); return;
            case "join": await Submit(session, new ChatCommand(CommandKind.Join, Target: room ?? "")); return;
            case "part": await Submit(session, new ChatCommand(CommandKind.Part, Target: room, Text: Str("reason"))); return;
            case "topic": await Submit(session, new ChatCommand(CommandKind.Topic, Target: room, Text: body)); return;
            case "nick": await Submit(session, new ChatCommand(CommandKind.Nick, Target: Str("name") ?? "")); return;
            case "away": await Submit(session, new ChatCommand(CommandKind.Away, Text: body)); return;
            case "rooms": await Submit(session, new ChatCommand(CommandKind.Rooms)); return;
            case "who": await Submit(session, new ChatCommand(CommandKind.Who, Target: room)); return;
            case "quit": await Submit(session, new ChatCommand(CommandKind.Quit, Text: body)); return;
            case "logout":
                // This browser forgets its token, and the server ends it, so it cannot log in again.
                if (Str("token") is { } token) await chat.LogoutAsync(session, token);
                await Submit(session, new ChatCommand(CommandKind.Quit, Text: "logged out"));
                return;
            case "ping": await chat.ReplyAsync(session, new PongReply()); return;
            case "history": await History(session, root, Str("target") ?? room); return;
            case "command": await Command(session, body ?? "", room); return;
            default:
                await chat.ReplyAsync(session, new ErrorReply(ErrorCode.UnknownCommand, $"Unknown type \"{type}\"."));
                return;
        }
    }

    private ValueTask Submit(Session session, ChatCommand command) => chat.SubmitAsync(session, command);

    // {"type":"hello","name":N} as a guest; with "password" to log in to the account N; with "token" (from an earlier
    // login in this browser) to log in again without the password. A login answers with a fresh token to keep.
    private async Task Hello(Session session, string name, string? password, string? token)
    {
        if (token is not null)
        {
            var resumed = await chat.LoginWithTokenAsync(session, token, takeName: true);
            if (!resumed.Ok) await chat.ReplyAsync(session, AccountCommands.Failure(CommandKind.Login, resumed));
            return;
        }
        if (!string.IsNullOrEmpty(password))
        {
            await AccountCommands.TryRunAsync(chat, session, new ChatCommand(CommandKind.Login, Target: name, Text: password), _ => SendToken(session));
            return;
        }
        await chat.ExecuteAsync(session, new ChatCommand(CommandKind.Register, Target: name));
        // Refused, but the name is an account (online or not): its password would log in, so the browser asks for it.
        if (session.State == SessionState.Unregistered && !session.IsClosed && chat.IsRegisteredName(name))
            await chat.ReplyAsync(session, new WebPasswordReply(name));
    }

    private async Task SendToken(Session session)
    {
        if (await chat.IssueTokenAsync(session) is { } token) await chat.ReplyAsync(session, new WebTokenReply(token));
    }

    // {"type":"command","text":"/bamboo","room":"#lobby"}: a line typed in the input box, as on the plain door.
    private async Task Command(Session session, string line, string? room)
    {
        var parsed = PlainCommandParser.Parse(line, DoorSet.Web);
        if (parsed.Command is not { } c)
        {
            if (parsed.Error != ErrorCode.EmptyMessage) await chat.ReplyAsync(session, new ErrorReply(parsed.Error, parsed.ErrorText!));
            return;
        }
        // Commands about "your room" mean the room the person is looking at (the registry says which).
        c = CommandTable.Get(c.Kind).WithRoom(c, room);
        if (await AccountCommands.TryRunAsync(chat, session, c, _ => SendToken(session))) return;
        await chat.SubmitAsync(session, c);
    }

    /// <summary>The most messages one history request returns.</summary>
    public const int MaxHistory = 200;

    // {"type":"history","target":"#room"|"name","before":ID,"limit":N}
    private async Task History(Session session, JsonElement root, string? target)
    {
        if (string.IsNullOrEmpty(target)) { await chat.ReplyAsync(session, new ErrorReply(ErrorCode.NeedMoreParams, "history needs a target.")); return; }
        var before = root.TryGetProperty("before", out var b) && b.TryGetInt64(out var id) ? id : long.MaxValue;
        var limit = root.TryGetProperty("limit", out var l) && l.TryGetInt32(out var n) ? Math.Clamp(n, 1, MaxHistory) : 50;
        var anchor = before == long.MaxValue ? HistoryAnchor.Latest() : HistoryAnchor.Before(HistoryRef.ToId(before));
        await chat.ReadHistoryAsync(new HistoryQuery(session, target, anchor, limit) { Use = HistoryUse.ScrollBack });
    }

    private static partial class Log
    {
        [LoggerMessage(301, LogLevel.Information, "Connection {Id} opened on the web door from {Remote}")]
        public static partial void Connected(ILogger logger, long id, string remote);

        [LoggerMessage(302, LogLevel.Error, "Reading from connection {Id} failed; the connection is closed")]
        public static partial void ReadFailed(ILogger logger, Exception ex, long id);

        [LoggerMessage(303, LogLevel.Warning, "Refused a WebSocket for {Why} ({Remote})")]
        public static partial void HandshakeRefused(ILogger logger, string why, string remote);
    }
}
