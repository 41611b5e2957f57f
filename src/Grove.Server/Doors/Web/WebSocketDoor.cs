using System.Buffers;
using System.Net.WebSockets;
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
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors.Web;

/// <summary>
/// The WebSocket door at /ws: JSON objects both ways (docs/protocol.md, "Web door"). The Origin header is checked
/// first; each connection has one read loop (JSON commands to the core) and one writer loop (its outbox to the socket).
/// </summary>
public sealed partial class WebSocketDoor(IChatCore chat, GroveServerOptions options, ConnectionLimiter limiter,
    Grove.Core.Limits.FloodOptions flood, TimeProvider time, ILogger<WebSocketDoor> logger)
{
    private static readonly WebRenderer Renderer = new();

    /// <summary>True when the request may open a WebSocket: no Origin (not a browser), the same origin, or an allowed one.</summary>
    public bool OriginAllowed(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0) return true;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)) return false;
        var host = context.Request.Host;
        var sameOrigin = string.Equals(uri.Authority, host.Value, StringComparison.OrdinalIgnoreCase)
                         && uri.Scheme == (context.Request.IsHttps ? "https" : "http");
        return sameOrigin || options.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This is Grove's WebSocket endpoint: connect with a WebSocket client.");
            return;
        }
        if (!OriginAllowed(context))
        {
            Log.OriginRefused(logger, context.Request.Headers.Origin.ToString(), context.Connection.RemoteIpAddress?.ToString() ?? "?");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("This origin may not use Grove's WebSocket.");
            return;
        }
        var ip = context.Connection.RemoteIpAddress;
        if (limiter.TryAcquire(ip) is { } refusal)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync(refusal);
            return;
        }
        try
        {
            await Serve(context);
        }
        finally
        {
            limiter.Release(ip);
        }
    }

    private async Task Serve(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        using var stop = new CancellationTokenSource();
        var control = new Control(socket, stop);
        var session = chat.Connect(DoorKind.Web, remote, Renderer, control);
        Log.Connected(logger, session.Id, remote);
        var writer = WriteLoop(session, socket);
        var reason = DisconnectReason.ConnectionLost;
        try
        {
            await ReadLoop(session, socket, stop.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
        }
        catch (Exception ex)
        {
            reason = DisconnectReason.InternalError;
            Log.ReadFailed(logger, ex, session.Id);
        }
        await chat.DisconnectAsync(session, reason);
        if (await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(5))) != writer) socket.Abort();
        await writer;
    }

    /// <summary>Frames of one message that count as one more line in flood control.</summary>
    public const int FramesPerLine = 8;

    private async Task ReadLoop(Session session, WebSocket socket, CancellationToken ct)
    {
        var gate = new Grove.Core.Limits.FloodGate(flood, time);
        var buffer = new byte[options.MaxWebSocketMessageBytes];
        while (socket.State == WebSocketState.Open && !session.IsClosed)
        {
            var filled = 0;
            var frames = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (filled == buffer.Length)
                {
                    // Too big: the close code for "message too big" (RFC 6455 section 7.4.1).
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, $"Messages are limited to {options.MaxWebSocketMessageBytes} bytes", CancellationToken.None);
                    return;
                }
                result = await socket.ReceiveAsync(buffer.AsMemory(filled), ct);
                if (result.MessageType == WebSocketMessageType.Close) return;
                filled += result.Count;
                // Empty fragments cost no bytes: counting frames is what ends a message that never ends.
                if (++frames >= options.MaxWebSocketFragments && !result.EndOfMessage)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, $"A message may arrive in at most {options.MaxWebSocketFragments} frames", CancellationToken.None);
                    return;
                }
            } while (!result.EndOfMessage);
            // Flood control counts frames too: a message costs one line, and one more for every FramesPerLine after its first.
            for (var extra = (frames - 1) / FramesPerLine; extra >= 0; extra--)
                if (!await TcpDoor.PassFloodGate(gate, chat, session)) return;
            if (result.MessageType != WebSocketMessageType.Text)
            {
                await chat.ReplyAsync(session, new ErrorReply(ErrorCode.BadArgument, "Send JSON text messages."));
                continue;
            }
            if (!TextRules.TryDecodeUtf8(new ReadOnlySequence<byte>(buffer, 0, filled), out var text))
            {
                await chat.ReplyAsync(session, new ErrorReply(ErrorCode.InvalidUtf8, "That message was not valid UTF-8."));
                continue;
            }
            await Handle(session, text);
        }
    }

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

    private static async Task WriteLoop(Session session, WebSocket socket)
    {
        var outbox = session.Outbox;
        var spare = new List<ReadOnlyMemory<byte>>();
        try
        {
            while (await outbox.WaitAsync())
            {
                var taken = outbox.TakeAll(spare);
                try
                {
                foreach (var segment in taken)
                {
                    // A segment holds one or more JSON objects, one per line: each becomes one text message.
                    var rest = segment;
                    while (!rest.IsEmpty)
                    {
                        var nl = rest.Span.IndexOf((byte)'\n');
                        var one = nl < 0 ? rest : rest[..nl];
                        rest = nl < 0 ? ReadOnlyMemory<byte>.Empty : rest[(nl + 1)..];
                        if (one.Length > 0) await socket.SendAsync(one, WebSocketMessageType.Text, true, CancellationToken.None);
                    }
                    outbox.Written(segment.Length);
                }
                }
                finally
                {
                    outbox.DoneWriting();
                }
                taken.Clear();
                spare = taken;
            }
            if (socket.State == WebSocketState.Open)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, session.CloseReason is { } r ? DisconnectReasonText.Describe(r) : "bye", CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
        }
    }

    private sealed class Control(WebSocket socket, CancellationTokenSource stop) : IConnectionControl
    {
        public void Close(bool graceful)
        {
            if (graceful)
            {
                // The writer sends what is queued and then a Close frame; the peer answers it and the read loop ends.
                // A peer that never answers is cut off after a while.
                try { stop.CancelAfter(TimeSpan.FromSeconds(5)); } catch (ObjectDisposedException) { }
            }
            else socket.Abort();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(301, LogLevel.Information, "Connection {Id} opened on the web door from {Remote}")]
        public static partial void Connected(ILogger logger, long id, string remote);

        [LoggerMessage(302, LogLevel.Error, "Reading from connection {Id} failed; the connection is closed")]
        public static partial void ReadFailed(ILogger logger, Exception ex, long id);

        [LoggerMessage(303, LogLevel.Warning, "Refused a WebSocket from origin {Origin} ({Remote})")]
        public static partial void OriginRefused(ILogger logger, string origin, string remote);
    }
}
