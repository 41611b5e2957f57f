using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Grove.Core.Delivery;
using Grove.Core.People;
using Grove.Wire;

namespace Grove.Server.Doors;

/// <summary>
/// Grove's own transport for the plain and IRC doors without TLS: one object per connection over the socket itself,
/// with no pipes. Reading waits for data with a zero-byte receive, so an idle connection holds no buffer; a buffer is
/// rented only while bytes are being framed (or while half a line waits for the rest). Writing is direct: whoever
/// finds the outbox idle sends at once with a non-blocking send (<see cref="IDirectSend"/>, no thread hop); what the
/// socket does not take waits in the outbox for the writer, which runs only while there is something to write
/// (<see cref="IWriterOnDemand"/>). An idle connection is this object, its socket, its session and one waiting receive.
/// </summary>
public sealed class SocketLineTransport : LineTransport, IWriterOnDemand, IThreadPoolWorkItem
{
    // Segments are copied into one buffer before each send: the kernel copies a contiguous buffer much faster than
    // many small ones (a gather write of 100-byte segments cost 3 times the CPU in fan-out, measured with perf).
    private const int ChunkBytes = 64 * 1024;
    private const int ReadBytes = 16 * 1024;

    [ThreadStatic] private static byte[]? t_chunk;

    private readonly Socket _socket;
    private readonly SocketDoorListener _listener;
    private int _closed;
    private Outbox? _outbox;
    private List<ReadOnlyMemory<byte>>? _spare; // the writer's second list, swapped with the outbox's queue
    private bool _broken;
    private int _finished;

    // The listener's list of open connections (for shutdown), threaded through the connections themselves.
    internal SocketLineTransport? Previous, Next;

    public SocketLineTransport(Socket socket, SocketDoorListener listener)
    {
        _socket = socket;
        _listener = listener;
        _socket.NoDelay = true;
        _socket.Blocking = false; // a synchronous send or receive returns at once with what the kernel has
    }

    public override EndPoint? RemoteEndPoint
    {
        get
        {
            try { return _socket.RemoteEndPoint; }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { return null; }
        }
    }

    public override async Task RefuseAsync(byte[] line)
    {
        try
        {
            await _socket.SendAsync(line, SocketFlags.None);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    // One async method for the whole life (not one for the life and one for reading): each async method kept
    // waiting costs every idle connection its state machine.
    public override async Task RunAsync(TcpDoor door)
    {
        byte[]? buffer = null; // holds `length` unframed bytes at its start
        try
        {
            var session = door.Open(this, out var refused);
            if (session is null)
            {
                await refused.ConfigureAwait(false);
                return;
            }
            Exception? failure = null;
            try
            {
                var (framer, handler) = door.Lines(session);
                var size = Math.Max(ReadBytes, framer.MaxLineBytes + 2);
                var length = 0;
                while (!session.IsClosed)
                {
                    if (length == 0 && buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }
                    // Wait until there is something to read, without a buffer.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer ??= ArrayPool<byte>.Shared.Rent(size);
                    var n = _socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None, out var error);
                    if (error == SocketError.WouldBlock) continue;
                    if (error != SocketError.Success) throw new SocketException((int)error);
                    if (n == 0) break; // the peer closed its side, or the server stopped reading (Close)
                    length += n;

                    var unframed = new ReadOnlySequence<byte>(buffer, 0, length);
                    while (!session.IsClosed)
                    {
                        var frame = framer.TryReadLine(ref unframed, out var line);
                        if (frame == FrameResult.NeedMore) break;
                        await handler.OnLineAsync(frame, line).ConfigureAwait(false);
                    }
                    var rest = (int)unframed.Length;
                    if (rest > 0 && rest < length) Buffer.BlockCopy(buffer, length - rest, buffer, 0, rest);
                    length = rest;
                }
            }
            catch (Exception ex) when (!TcpDoor.IsConnectionLost(ex))
            {
                failure = ex;
            }
            catch (Exception)
            {
                // The peer went away; that is an ordinary way to leave.
            }
            await door.CloseAsync(this, session, failure).ConfigureAwait(false);
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            Finished();
        }
    }

    public override void StartWriter(Session session)
    {
        _outbox = session.Outbox;
        session.Outbox.UseDirectSend(this);
    }

    public override Task WriterFinished(Session session) => session.Outbox.Drained;

    void IWriterOnDemand.StartWriter() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    void IThreadPoolWorkItem.Execute() => _ = WriteQueuedAsync();

    /// <summary>Called by one producer at a time (the outbox hands out the output to one owner).</summary>
    public long TrySendNow(List<ReadOnlyMemory<byte>> segments)
    {
        var chunk = t_chunk ??= new byte[ChunkBytes];
        long sent = 0;
        var index = 0;
        var offset = 0; // into segments[index]
        while (index < segments.Count)
        {
            var filled = Fill(segments, ref index, ref offset, chunk);
            var n = _socket.Send(chunk, 0, filled, SocketFlags.None, out var error);
            if (error != SocketError.Success && error != SocketError.WouldBlock) return sent;
            sent += Math.Max(0, n);
            if (n < filled) return sent;
        }
        return sent;
    }

    /// <summary>Copies from segments[index] at offset into the chunk until it is full or the segments end.</summary>
    private static int Fill(List<ReadOnlyMemory<byte>> segments, ref int index, ref int offset, byte[] chunk)
    {
        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(segments);
        var filled = 0;
        while (index < all.Length && filled < chunk.Length)
        {
            var segment = all[index].Span;
            var n = Math.Min(segment.Length - offset, chunk.Length - filled);
            segment.Slice(offset, n).CopyTo(chunk.AsSpan(filled));
            filled += n;
            offset += n;
            if (offset == segment.Length) { index++; offset = 0; }
        }
        return filled;
    }

    /// <summary>
    /// The writer, on demand: sends what producers could not, in order, and stops when the outbox is empty. Once the
    /// socket has failed it only empties the outbox (the read side notices and closes the session).
    /// </summary>
    private async Task WriteQueuedAsync()
    {
        var outbox = _outbox!;
        byte[]? chunk = null;
        try
        {
            while (true)
            {
                var taken = outbox.TakeAll(_spare ??= new List<ReadOnlyMemory<byte>>());
                if (taken.Count == 0)
                {
                    if (outbox.TryStopWriter()) return;
                    continue;
                }
                long bytes = 0;
                foreach (var segment in taken) bytes += segment.Length;
                try
                {
                    if (!_broken)
                    {
                        chunk ??= ArrayPool<byte>.Shared.Rent(ChunkBytes);
                        int index = 0, offset = 0;
                        while (index < taken.Count)
                        {
                            var filled = Fill(taken, ref index, ref offset, chunk);
                            // A non-blocking send first: most of the time the socket takes it all, and a socket that
                            // was never full never gets the cached state of an asynchronous send.
                            var now = _socket.Send(chunk, 0, filled, SocketFlags.None, out var error);
                            if (error is not (SocketError.Success or SocketError.WouldBlock)) throw new SocketException((int)error);
                            now = Math.Max(0, now);
                            // A stream socket's send completes when all of it is in the kernel's buffer.
                            if (now < filled) await _socket.SendAsync(chunk.AsMemory(now, filled - now), SocketFlags.None).ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    _broken = true;
                }
                finally
                {
                    outbox.DoneWriting();
                }
                outbox.Written(bytes);
                taken.Clear();
                _spare = taken;
            }
        }
        finally
        {
            if (chunk is not null) ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public override void Abort() => Dispose();

    public override void Finished()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0) return;
        Dispose();
        _listener.Remove(this);
    }

    public override void Close(bool graceful)
    {
        if (!graceful)
        {
            Dispose();
            return;
        }
        // Stop reading: a receive waiting on the socket returns 0 at once, as if the peer had closed its side.
        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Ends the connection: a FIN after the last byte written, then the socket is released.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        _socket.Dispose();
    }
}
