using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using Grove.Wire;

namespace Grove.Server.Doors.Web;

/// <summary>What one call of <see cref="WebSocketReader.TryRead"/> found (RFC 6455 section 5).</summary>
public enum WebSocketInput
{
    /// <summary>A whole text message (all its fragments), unmasked.</summary>
    Text,
    /// <summary>A whole binary message.</summary>
    Binary,
    Ping,
    Pong,
    /// <summary>The peer's Close frame.</summary>
    Close,
    /// <summary>A frame or message longer than the limit (close with 1009).</summary>
    TooBig,
    /// <summary>A message in more fragments than allowed (close with 1008).</summary>
    TooManyFragments,
    /// <summary>A frame that breaks the protocol: unmasked, reserved bits, a bad opcode or continuation (close with 1002).</summary>
    ProtocolError,
}

/// <summary>Server frames: never masked (RFC 6455 section 5.1), so the same bytes can go to every recipient.</summary>
public static class WebSocketFrames
{
    public const byte Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA;

    /// <summary>Bytes of the header of a server frame whose payload is <paramref name="length"/> bytes.</summary>
    public static int HeaderLength(long length) => length < 126 ? 2 : length <= ushort.MaxValue ? 4 : 10;

    /// <summary>Writes a final frame's header (FIN set, no mask) and returns its length.</summary>
    public static int WriteHeader(Span<byte> into, byte opcode, long length)
    {
        into[0] = (byte)(0x80 | opcode);
        if (length < 126)
        {
            into[1] = (byte)length;
            return 2;
        }
        if (length <= ushort.MaxValue)
        {
            into[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(into[2..], (ushort)length);
            return 4;
        }
        into[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(into[2..], (ulong)length);
        return 10;
    }

    /// <summary>A whole frame around a payload.</summary>
    public static byte[] Frame(byte opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength(payload.Length) + payload.Length];
        var h = WriteHeader(frame, opcode, payload.Length);
        payload.CopyTo(frame.AsSpan(h));
        return frame;
    }

    /// <summary>A Close frame with a status code and a reason cut to fit a control frame (125 bytes in all).</summary>
    public static byte[] CloseFrame(int code, string reason)
    {
        Span<byte> payload = stackalloc byte[125];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        var text = TextRules.Utf8.GetBytes(reason);
        var n = Math.Min(text.Length, 123);
        // Never cut a character in half: back up to the start of one.
        while (n > 0 && n < text.Length && (text[n] & 0xC0) == 0x80) n--;
        text.AsSpan(0, n).CopyTo(payload[2..]);
        return Frame(Close, payload[..(2 + n)]);
    }
}

/// <summary>
/// Reads client frames (RFC 6455 section 5.2) from what the transport has received. A frame is taken only once all of
/// it is there, and unmasked in place then; a message in fragments is gathered in a buffer rented only while it is
/// incomplete. Control frames may come between fragments (section 5.4).
/// </summary>
public sealed class WebSocketReader(int maxMessageBytes, int maxFragments)
{
    private byte[]? _gathered;  // the fragments so far of a message in several frames
    private int _gatheredLength;
    private byte _messageOpcode; // of the message being gathered; 0 when none
    private int _fragments;

    /// <summary>The largest buffer a whole frame needs (its header included).</summary>
    public int MaxFrameBytes => maxMessageBytes + 14;

    /// <summary>Frames the last message returned arrived in.</summary>
    public int Frames { get; private set; }

    /// <summary>
    /// Takes the next whole message or control frame from <paramref name="buffer"/>; false when more bytes are needed.
    /// The payload is valid until the buffer is read again; on an error the rest of the input is left alone.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out WebSocketInput input, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        input = default;
        Span<byte> head = stackalloc byte[14];
        while (true)
        {
            if (buffer.Length < 2) return false;
            var have = (int)Math.Min(14, buffer.Length);
            buffer.Slice(0, have).CopyTo(head);
            var fin = (head[0] & 0x80) != 0;
            var opcode = (byte)(head[0] & 0x0F);
            var masked = (head[1] & 0x80) != 0;
            long length = head[1] & 0x7F;
            var headerLength = 2;
            if (length == 126) { if (have < 4) return false; length = BinaryPrimitives.ReadUInt16BigEndian(head[2..]); headerLength = 4; }
            else if (length == 127)
            {
                if (have < 10) return false;
                var l = BinaryPrimitives.ReadUInt64BigEndian(head[2..]);
                length = l > long.MaxValue ? long.MaxValue : (long)l;
                headerLength = 10;
            }
            var control = opcode >= 0x8;
            // Clients MUST mask (section 5.1); no extension was agreed, so reserved bits must be 0.
            if (!masked || (head[0] & 0x70) != 0 || opcode is > 0x2 and < 0x8 or > 0xA
                || control && (!fin || length > 125)
                || opcode == 0 && _messageOpcode == 0 || opcode is 1 or 2 && _messageOpcode != 0)
            {
                input = WebSocketInput.ProtocolError;
                return true;
            }
            if (length > maxMessageBytes || !control && _gatheredLength + length > maxMessageBytes)
            {
                input = WebSocketInput.TooBig;
                return true;
            }
            headerLength += 4;
            if (have < headerLength || buffer.Length < headerLength + length) return false;
            var mask = BinaryPrimitives.ReadUInt32LittleEndian(head[(headerLength - 4)..]);
            var frame = buffer.Slice(headerLength, length);
            Unmask(frame, mask);
            buffer = buffer.Slice(headerLength + length);
            if (control)
            {
                payload = frame;
                input = opcode switch { WebSocketFrames.Ping => WebSocketInput.Ping, WebSocketFrames.Pong => WebSocketInput.Pong, _ => WebSocketInput.Close };
                Frames = 1;
                return true;
            }
            if (opcode != 0) _messageOpcode = opcode;
            _fragments++;
            if (fin && _gathered is null)
            {
                payload = frame; // the common case: a message in one frame, read where it lies
                return Finish(out input);
            }
            if (length > 0)
            {
                _gathered ??= ArrayPool<byte>.Shared.Rent(maxMessageBytes);
                frame.CopyTo(_gathered.AsSpan(_gatheredLength));
                _gatheredLength += (int)length;
            }
            if (fin)
            {
                payload = _gathered is null ? default : new ReadOnlySequence<byte>(_gathered, 0, _gatheredLength);
                return Finish(out input);
            }
            // Empty fragments cost no bytes: counting frames is what ends a message that never ends.
            if (_fragments >= maxFragments)
            {
                input = WebSocketInput.TooManyFragments;
                return true;
            }
        }
    }

    private bool Finish(out WebSocketInput input)
    {
        input = _messageOpcode == WebSocketFrames.Text ? WebSocketInput.Text : WebSocketInput.Binary;
        Frames = _fragments;
        _messageOpcode = 0;
        _fragments = 0;
        _gatheredLength = 0;
        return true;
    }

    /// <summary>Gives back the gathering buffer once the message it held has been handled.</summary>
    public void Release()
    {
        if (_gathered is null || _messageOpcode != 0) return;
        ArrayPool<byte>.Shared.Return(_gathered);
        _gathered = null;
    }

    // XOR with the 4-byte key, four bytes at a time where the run allows (section 5.3).
    private static void Unmask(ReadOnlySequence<byte> payload, uint mask)
    {
        var offset = 0;
        foreach (var memory in payload)
        {
            var span = MemoryMarshal.AsMemory(memory).Span;
            var key = BitOperations.RotateRight(mask, 8 * (offset & 3));
            var i = 0;
            var words = MemoryMarshal.Cast<byte, uint>(span);
            for (; i < words.Length; i++) words[i] ^= key;
            for (i *= 4; i < span.Length; i++) span[i] ^= (byte)(key >> (8 * (i & 3)));
            offset += span.Length;
        }
    }
}
