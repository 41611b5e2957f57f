using System.Buffers;
using System.Buffers.Binary;
using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.Limits;
using Grove.Core.People;
using Grove.Wire;

namespace Grove.Server.Doors.Web;

/// <summary>
/// One WebSocket connection's input, as its transport frames it: first the upgrade request (answered with 101 through
/// the outbox, so it is the first thing written), then messages and control frames (RFC 6455). Every frame, pings and
/// pongs included, passes the flood gate like a line. A broken rule (size, fragments, masking) ends the connection
/// with the Close code for it, sent after whatever was queued (<see cref="IFarewell"/>).
/// </summary>
internal sealed class WebSocketConnection(WebSocketDoor door, Session session, IConnectionControl control, FloodGate gate, bool https)
    : IFrameReader, ILineHandler, IFarewell
{
    private enum Phase : byte { Handshake, Open, Refused, Closing }

    private Phase _phase;

    /// <summary>False until the 101 is queued: before that the client speaks HTTP and must get no frames.</summary>
    public bool Upgraded => _phase != Phase.Handshake;
    private WebSocketReader? _reader;
    private WebSocketInput _input;
    private int _closeCode;
    private string? _closeReason;

    public int MaxFrameBytes => Math.Max(WebHandshake.MaxHeadBytes, door.Options.MaxWebSocketMessageBytes + 14);

    public FrameResult TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        switch (_phase)
        {
            case Phase.Handshake:
                var n = WebHandshake.HeadLength(buffer);
                if (n < 0 && buffer.Length < WebHandshake.MaxHeadBytes) return FrameResult.NeedMore;
                // One read can hold more than the limit (the buffer fits a whole message), so a whole head is measured too.
                if (n < 0 || n > WebHandshake.MaxHeadBytes)
                {
                    buffer = buffer.Slice(buffer.End);
                    return FrameResult.TooLong;
                }
                frame = buffer.Slice(0, n);
                buffer = buffer.Slice(n);
                return FrameResult.Line;
            case Phase.Open:
                return _reader!.TryRead(ref buffer, out _input, out frame) ? FrameResult.Line : FrameResult.NeedMore;
            default:
                buffer = buffer.Slice(buffer.End); // closing: whatever else arrives is not read
                return FrameResult.NeedMore;
        }
    }

    public Task OnLineAsync(FrameResult result, ReadOnlySequence<byte> frame) => _phase switch
    {
        Phase.Handshake => Answer(result, frame),
        Phase.Open => OnFrameAsync(frame),
        _ => Task.CompletedTask,
    };

    private Task Answer(FrameResult result, ReadOnlySequence<byte> head)
    {
        byte[] response;
        string? refusal = null;
        var ok = result == FrameResult.Line
            ? door.Handshake.Answer(head, https, out response, out refusal)
            : WebHandshake.Refuse(431, "Request Header Fields Too Large", $"A WebSocket request head is limited to {WebHandshake.MaxHeadBytes} bytes.", out response);
        session.Outbox.TryEnqueue(response);
        if (ok)
        {
            _reader = new WebSocketReader(door.Options.MaxWebSocketMessageBytes, door.Options.MaxWebSocketFragments);
            _phase = Phase.Open;
            session.EncodingKey = WebRenderer.Key; // from now on it shares every web recipient's frames
            return Task.CompletedTask;
        }
        if (refusal is not null) door.HandshakeRefused(refusal, session.RemoteAddress);
        _phase = Phase.Refused;
        control.Close(graceful: true);
        return Task.CompletedTask;
    }

    private async Task OnFrameAsync(ReadOnlySequence<byte> payload)
    {
        var chat = door.Chat;
        switch (_input)
        {
            case WebSocketInput.Text or WebSocketInput.Binary:
            {
                var text = _input == WebSocketInput.Text && TextRules.TryDecodeUtf8(payload, out var t) ? t : null;
                var binary = _input == WebSocketInput.Binary;
                _reader!.Release();
                // A message costs one line, and one more for every FramesPerLine frames after its first.
                for (var extra = (_reader.Frames - 1) / WebSocketDoor.FramesPerLine; extra >= 0; extra--)
                    if (!await TcpDoor.PassFloodGate(gate, chat, session)) return;
                if (binary) await chat.ReplyAsync(session, new ErrorReply(ErrorCode.BadArgument, "Send JSON text messages."));
                else if (text is null) await chat.ReplyAsync(session, new ErrorReply(ErrorCode.InvalidUtf8, "That message was not valid UTF-8."));
                else await door.HandleAsync(session, text);
                return;
            }
            case WebSocketInput.Ping:
            {
                var pong = WebSocketFrames.Frame(WebSocketFrames.Pong, payload.ToArray());
                if (await TcpDoor.PassFloodGate(gate, chat, session)) session.Outbox.TryEnqueue(pong);
                return;
            }
            case WebSocketInput.Pong:
                await TcpDoor.PassFloodGate(gate, chat, session);
                return;
            case WebSocketInput.Close:
            {
                // Answer with the peer's own code (section 5.5.1), then the connection ends; a code no endpoint may send
                // (section 7.4) or a reason that is not UTF-8 breaks the protocol and is answered so.
                Span<byte> code = stackalloc byte[2];
                var echoed = payload.Length >= 2 ? ReadCode(payload, code) : payload.Length == 0 ? 1000 : 0;
                if (echoed is not (>= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999))
                    Close(1002, "That close code is not one RFC 6455 allows");
                else if (!TextRules.TryDecodeUtf8(payload.Slice(Math.Min(2, payload.Length)), out _))
                    Close(1007, "The close reason was not valid UTF-8");
                else
                    Close(echoed, "bye");
                return;
            }
            case WebSocketInput.TooBig:
                Close(1009, $"Messages are limited to {door.Options.MaxWebSocketMessageBytes} bytes");
                return;
            case WebSocketInput.TooManyFragments:
                Close(1008, $"A message may arrive in at most {door.Options.MaxWebSocketFragments} frames");
                return;
            default:
                Close(1002, "Client frames must be masked and follow RFC 6455");
                return;
        }
    }

    private static int ReadCode(ReadOnlySequence<byte> payload, Span<byte> code)
    {
        payload.Slice(0, 2).CopyTo(code);
        return BinaryPrimitives.ReadUInt16BigEndian(code);
    }

    // Stop reading; the Close frame goes after what is queued, when the connection ends.
    private void Close(int code, string reason)
    {
        _closeCode = code;
        _closeReason = reason;
        _phase = Phase.Closing;
        control.Close(graceful: true);
    }

    public ReadOnlyMemory<byte> Farewell()
    {
        if (_phase is Phase.Refused) return default;
        if (_phase is Phase.Handshake)
        {
            // Closed before the request head was whole (too slow, or the server stopping): an HTTP answer, not a frame.
            var timedOut = session.CloseReason == DisconnectReason.RegistrationTimeout;
            WebHandshake.Refuse(timedOut ? 408 : 503, timedOut ? "Request Timeout" : "Service Unavailable",
                timedOut ? "The WebSocket request did not arrive in time." : "The server is closing this connection.", out var response);
            return response;
        }
        if (_closeCode != 0) return WebSocketFrames.CloseFrame(_closeCode, _closeReason ?? "");
        return WebSocketFrames.CloseFrame(1000, session.CloseReason is { } r ? DisconnectReasonText.Describe(r) : "bye");
    }
}
