using System.Text;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>Reads server WebSocket frames (RFC 6455 section 5.2: FIN, opcode, unmasked length, payload) from bytes.</summary>
internal static class ServerFrames
{
    /// <summary>The text payloads of the frames in <paramref name="bytes"/>; throws on a malformed or masked frame.</summary>
    public static List<string> Payloads(ReadOnlyMemory<byte> bytes)
    {
        var texts = new List<string>();
        var span = bytes.Span;
        while (!span.IsEmpty)
        {
            if ((span[0] & 0x80) == 0 || (span[0] & 0x0F) != 1) throw new FormatException("not a final text frame");
            if ((span[1] & 0x80) != 0) throw new FormatException("a server frame is masked");
            long length = span[1] & 0x7F;
            var header = 2;
            if (length == 126) { length = span[2] << 8 | span[3]; header = 4; }
            else if (length == 127) { length = 0; for (var i = 2; i < 10; i++) length = length << 8 | span[i]; header = 10; }
            texts.Add(Encoding.UTF8.GetString(span.Slice(header, (int)length)));
            span = span[(header + (int)length)..];
        }
        return texts;
    }
}
