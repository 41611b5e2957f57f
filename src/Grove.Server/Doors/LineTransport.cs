using System.Buffers;
using System.Net;
using Grove.Core.People;
using Grove.Wire;

namespace Grove.Server.Doors;

/// <summary>What a line door does with each framed line of one connection (see <see cref="TcpDoor.RunAsync"/>).</summary>
public interface ILineHandler
{
    /// <summary>
    /// One complete line, or an over-long one (<see cref="FrameResult.TooLong"/> with an empty sequence). The bytes
    /// are valid only until the returned task completes.
    /// </summary>
    Task OnLineAsync(FrameResult frame, ReadOnlySequence<byte> line);
}

/// <summary>Cuts a connection's input into the frames its door handles: lines, or WebSocket messages.</summary>
public interface IFrameReader
{
    /// <summary>The most bytes one frame may need at once (the transport's read buffer is at least this big).</summary>
    int MaxFrameBytes { get; }

    /// <summary>Like <see cref="LineFramer.TryReadLine"/>: a frame and how far it consumed, or need more.</summary>
    FrameResult TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame);
}

/// <summary>A line door's framing as an <see cref="IFrameReader"/>.</summary>
public sealed class LineFrames(LineFramer framer) : IFrameReader
{
    public int MaxFrameBytes => framer.MaxLineBytes + 2;

    public FrameResult TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame) => framer.TryReadLine(ref buffer, out frame);
}

/// <summary>A door with bytes to send after everything else, when the connection ends (a WebSocket's Close frame).</summary>
public interface IFarewell
{
    /// <summary>The last bytes, or empty for none; asked once, after the outbox has been written.</summary>
    ReadOnlyMemory<byte> Farewell();
}

/// <summary>
/// The byte stream under a line door's connection: Grove's own socket transport for plain TCP
/// (<see cref="SocketLineTransport"/>), or Kestrel's connection for TLS (<see cref="KestrelLineTransport"/>).
/// Closing on the core's request is part of it (<see cref="IConnectionControl"/>).
/// </summary>
public abstract class LineTransport : IConnectionControl
{
    public abstract EndPoint? RemoteEndPoint { get; }

    /// <summary>The connection's whole life with <paramref name="door"/>; ends the connection when done.</summary>
    public abstract Task RunAsync(TcpDoor door);

    /// <summary>The address counted by the connection limiter for this connection (set when it is let in).</summary>
    public System.Net.IPAddress? LimitedAddress { get; set; }

    /// <summary>What the door sends after the last byte of the outbox (set with the door's handler).</summary>
    public IFarewell? Farewell { get; set; }

    /// <summary>Writes one line (a refusal) and ends the connection.</summary>
    public abstract Task RefuseAsync(byte[] line);

    /// <summary>Starts the connection's writer: what the session's outbox holds goes out in order.</summary>
    public abstract void StartWriter(Session session);

    /// <summary>Completes when the writer has written everything (after the session's outbox was completed) or failed.</summary>
    public abstract Task WriterFinished(Session session);

    /// <summary>Ends the connection at once (the writer did not finish in time).</summary>
    public abstract void Abort();

    /// <summary>The connection's life is over: release what it holds (called once, last).</summary>
    public virtual void Finished()
    {
    }

    /// <summary>Closing on the core's request: gracefully (stop reading, let the writer finish) or at once.</summary>
    public abstract void Close(bool graceful);
}
