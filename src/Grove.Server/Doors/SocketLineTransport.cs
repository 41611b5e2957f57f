using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Grove.Core.Delivery;
using Grove.Core.People;
using Grove.Wire;

namespace Grove.Server.Doors;

/// <summary>
/// Grove's own transport for every door without TLS (plain, IRC, the web door's WebSocket): one object per connection
/// over the socket, with no pipes. Reading is driven by readiness (Linux: the process's one epoll thread,
/// <see cref="ReadReadiness"/>; elsewhere a zero-byte receive), so an idle connection holds no buffer. Writing is direct:
/// whoever finds the outbox idle sends at once (<see cref="IDirectSend"/>); what the socket does not take waits in the
/// outbox for a writer that runs only while there is something to write (<see cref="IWriterOnDemand"/>).
/// </summary>
public sealed class SocketLineTransport : LineTransport, IWriterOnDemand, IOutboxWriter, IThreadPoolWorkItem
{
    // Segments are copied into one buffer before each send: the kernel copies a contiguous buffer much faster than
    // many small ones (a gather write of 100-byte segments cost 3 times the CPU in fan-out, measured with perf).
    private const int ChunkBytes = 64 * 1024;
    private const int ReadBytes = 16 * 1024;

    [ThreadStatic] private static byte[]? t_chunk;

    private readonly Socket _socket;
    private readonly bool _raw;
    private readonly SocketDoorListener _listener;
    private int _closed;
    private Outbox? _outbox;
    private bool _broken;
    private int _finished;

    // Reading: the session, its framer and handler, and the unframed bytes (a rented buffer, only while bytes wait).
    private TcpDoor? _door;
    private Session? _session;
    private IFrameReader? _framer;
    private ILineHandler? _handler;
    private byte[]? _buffer;
    private int _length;
    private int _reading; // epoll: 1 while a read runs (a stale or extra event then does nothing)
    private int _ended;
    private int _fd = -1;  // registered with ReadReadiness when not -1

    /// <summary>Tells events for this connection from those for an earlier socket with the same number.</summary>
    internal uint Generation;

    // The listener's list of open connections (for shutdown), threaded through the connections themselves.
    internal SocketLineTransport? Previous, Next;

    public SocketLineTransport(Socket socket, SocketDoorListener listener)
    {
        _socket = socket;
        _listener = listener;
        _socket.NoDelay = true;
        // Synchronous sends and receives must return at once with what the kernel has: with epoll, each call asks for
        // that itself (RawSocket); otherwise the socket is switched to non-blocking mode.
        _raw = ReadReadiness.Shared is not null;
        if (!_raw) _socket.Blocking = false;
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

    public override Task RunAsync(TcpDoor door)
    {
        Session? session;
        Task refused;
        try
        {
            session = door.Open(this, out refused);
        }
        catch
        {
            Finished();
            throw;
        }
        if (session is null) return RefusedAsync(refused);
        _door = door;
        _session = session;
        (_framer, _handler) = door.Lines(this, session);
        // With epoll, waiting costs nothing from here: the epoll thread calls Readable when there is something to
        // read. A socket already closed (the core may close a session at once) falls through and ends on its first read.
        if (ReadReadiness.Shared is { } readiness)
        {
            var fd = readiness.Add(this, _socket.SafeHandle);
            if (fd >= 0)
            {
                Interlocked.Exchange(ref _fd, fd);
                // Closed while being registered: CloseSocket may not have seen the descriptor, so end from here (the
                // end runs once, whoever gets there first).
                if (Volatile.Read(ref _closed) != 0)
                {
                    readiness.Remove(this, fd);
                    _ = EndAsync(null);
                }
                return Task.CompletedTask;
            }
        }
        return WaitAndReadAsync();
    }

    private async Task RefusedAsync(Task refused)
    {
        try
        {
            await refused.ConfigureAwait(false);
        }
        finally
        {
            Finished();
        }
    }

    /// <summary>Without epoll: wait for input with a zero-byte receive (no buffer while waiting), read, repeat.</summary>
    private async Task WaitAndReadAsync()
    {
        while (true)
        {
            try
            {
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await EndAsync(TcpDoor.Unexpected(ex)).ConfigureAwait(false);
                return;
            }
            if (!await ReadAvailableAsync().ConfigureAwait(false)) return;
        }
    }

    /// <summary>
    /// From the epoll thread: the socket has something to read (or has ended). The read and the lines' handling run
    /// right here, not after a hop to the thread pool: at a chat's pace that hop was a thread's wake-up per line,
    /// and a share of the delivery latency. Nothing a line does blocks this thread: what waits (the command queue
    /// when full, the flood gate, password hashing, the close) continues on the pool, and a connection that keeps
    /// the socket full is moved there after a few reads (<see cref="InlineReads"/>).
    /// </summary>
    internal void Readable() => _ = ReadAndRearmAsync();

    /// <summary>Receives one readiness event may do on the epoll thread before the rest moves to the pool.</summary>
    private const int InlineReads = 4;

    private async Task ReadAndRearmAsync()
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0) return;
        if (!await ReadAvailableAsync().ConfigureAwait(false)) return;
        Volatile.Write(ref _reading, 0);
        // False when the socket was closed meanwhile (aborted): a closed socket gives epoll no event to end it by.
        if (!ReadReadiness.Shared!.Rearm(this, _socket.SafeHandle)) await EndAsync(null).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads everything the socket has, frames it and hands each line to the door. False when the connection has
    /// ended (the peer closed, the server stopped reading, or an error), after its end has run.
    /// </summary>
    private async Task<bool> ReadAvailableAsync()
    {
        var session = _session!;
        Exception? failure = null;
        var ended = false;
        var reads = 0;
        try
        {
            while (!ended)
            {
                if (++reads > InlineReads && ReadReadiness.OnItsThread) await Task.Yield(); // fairness: see Readable
                if (session.IsClosed)
                {
                    ended = true;
                    break;
                }
                _buffer ??= ArrayPool<byte>.Shared.Rent(Math.Max(ReadBytes, _framer!.MaxFrameBytes));
                var buffer = _buffer;
                var n = Receive(buffer.AsSpan(_length), out var error);
                if (error == SocketError.WouldBlock) break;
                if (error != SocketError.Success) throw new SocketException((int)error);
                if (n == 0)
                {
                    ended = true; // the peer closed its side, or the server stopped reading (Close)
                    break;
                }
                _length += n;
                var unframed = new ReadOnlySequence<byte>(buffer, 0, _length);
                while (!session.IsClosed)
                {
                    var frame = _framer!.TryRead(ref unframed, out var line);
                    if (frame == FrameResult.NeedMore) break;
                    await _handler!.OnLineAsync(frame, line).ConfigureAwait(false);
                }
                var rest = (int)unframed.Length;
                if (rest > 0 && rest < _length) Buffer.BlockCopy(buffer, _length - rest, buffer, 0, rest);
                _length = rest;
            }
        }
        catch (Exception ex)
        {
            failure = TcpDoor.Unexpected(ex);
            ended = true;
        }
        if (_length == 0 && _buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
        if (!ended) return true;
        await EndAsync(failure).ConfigureAwait(false);
        return false;
    }

    /// <summary>Reading is over: leave through the core, let the writer finish, release everything. Runs once.</summary>
    private async Task EndAsync(Exception? failure)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        try
        {
            await _door!.CloseAsync(this, _session!, failure).ConfigureAwait(false);
        }
        finally
        {
            Finished();
        }
    }

    public override void StartWriter(Session session)
    {
        _outbox = session.Outbox;
        session.Outbox.UseDirectSend(this);
    }

    public override Task WriterFinished(Session session) => Farewell is null ? session.Outbox.Drained : DrainedThenFarewellAsync(session.Outbox);

    // The door's last bytes go after everything queued; a socket that does not take them at once goes without.
    private async Task DrainedThenFarewellAsync(Outbox outbox)
    {
        await outbox.Drained.ConfigureAwait(false);
        var last = Farewell!.Farewell();
        if (!last.IsEmpty && !_broken && Volatile.Read(ref _closed) == 0) Send(last.Span, out _);
    }

    void IWriterOnDemand.StartWriter() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    void IThreadPoolWorkItem.Execute() => _ = WriteQueuedAsync();

    private int Receive(Span<byte> buffer, out SocketError error) =>
        _raw ? RawSocket.Receive(_socket.SafeHandle, buffer, out error) : _socket.Receive(buffer, SocketFlags.None, out error);

    private int Send(ReadOnlySpan<byte> buffer, out SocketError error) =>
        _raw ? RawSocket.Send(_socket.SafeHandle, buffer, out error) : _socket.Send(buffer, SocketFlags.None, out error);

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
            var n = Send(chunk.AsSpan(0, filled), out var error);
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
    /// The writer, on demand: sends what producers could not, in order, through the outbox's one drain, and stops
    /// when the outbox is empty. Once the socket has failed it only empties the outbox (the read side notices and
    /// closes the session).
    /// </summary>
    private async Task WriteQueuedAsync()
    {
        var outbox = _outbox!;
        try
        {
            while (true)
            {
                if (await outbox.WriteQueuedAsync(this).ConfigureAwait(false)) continue;
                if (outbox.TryStopWriter()) return;
            }
        }
        finally
        {
            if (_chunk is not null) ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
        }
    }

    private byte[]? _chunk; // rented while the writer runs

    async ValueTask IOutboxWriter.WriteAsync(List<ReadOnlyMemory<byte>> taken)
    {
        if (_broken) return;
        try
        {
            var chunk = _chunk ??= ArrayPool<byte>.Shared.Rent(ChunkBytes);
            int index = 0, offset = 0;
            while (index < taken.Count)
            {
                var filled = Fill(taken, ref index, ref offset, chunk);
                // A non-blocking send first: most of the time the socket takes it all, and a socket that was never
                // full never gets the cached state of an asynchronous send.
                var now = Send(chunk.AsSpan(0, filled), out var error);
                if (error is not (SocketError.Success or SocketError.WouldBlock)) throw new SocketException((int)error);
                now = Math.Max(0, now);
                // A stream socket's send completes when all of it is in the kernel's buffer.
                if (now < filled) await _socket.SendAsync(chunk.AsMemory(now, filled - now), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _broken = true;
        }
    }

    public override void Abort() => CloseSocket();

    public override void Finished()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0) return;
        Volatile.Write(ref _ended, 1);
        CloseSocket();
        _listener.Remove(this);
    }

    public override void Close(bool graceful)
    {
        if (!graceful)
        {
            CloseSocket();
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
    private void CloseSocket()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        var fd = Volatile.Read(ref _fd);
        if (fd >= 0) ReadReadiness.Shared!.Remove(this, fd);
        _socket.Dispose();
        // A closed socket leaves epoll without an event: unless a read is running (it will find the socket closed),
        // run the end from here.
        if (fd >= 0 && Volatile.Read(ref _reading) == 0 && Volatile.Read(ref _ended) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.EndAsync(null), this, preferLocal: false);
    }
}
