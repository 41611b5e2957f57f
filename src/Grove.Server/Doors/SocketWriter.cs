using System.Net.Sockets;
using Grove.Core.Delivery;

namespace Grove.Server.Doors;

/// <summary>
/// Output straight to a connection's socket, for the doors without TLS. Producers send at once when the socket takes
/// it (<see cref="IDirectSend"/>: a non-blocking send, no thread hop); what it does not take waits in the outbox for
/// <see cref="RunAsync"/>, which sends it asynchronously. Kestrel's output pipe is not used for data, only completed at the end so Kestrel closes the
/// socket after the last byte.
/// </summary>
public sealed class SocketWriter : IDirectSend
{
    // Segments are copied into one buffer before each send: the kernel copies a contiguous buffer much faster than
    // many small ones (a gather write of 100-byte segments cost 3 times the CPU in fan-out, measured with perf).
    private const int ChunkBytes = 64 * 1024;

    [ThreadStatic] private static byte[]? t_chunk;

    private readonly Socket _socket;

    public SocketWriter(Socket socket)
    {
        _socket = socket;
        _socket.Blocking = false; // a synchronous send returns at once with what the kernel took
    }

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

    /// <summary>The writer loop: sends what producers could not, in order, until the outbox completes.</summary>
    public async Task RunAsync(Outbox outbox, System.IO.Pipelines.PipeWriter kestrelOutput)
    {
        var spare = new List<ReadOnlyMemory<byte>>();
        byte[]? chunk = null;
        try
        {
            while (await outbox.WaitAsync().ConfigureAwait(false))
            {
                var taken = outbox.TakeAll(spare);
                if (taken.Count == 0) continue;
                long bytes = 0;
                try
                {
                    chunk ??= System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkBytes);
                    int index = 0, offset = 0;
                    while (index < taken.Count)
                    {
                        var filled = Fill(taken, ref index, ref offset, chunk);
                        // A stream socket's send completes when all of it is in the kernel's buffer.
                        await _socket.SendAsync(chunk.AsMemory(0, filled), SocketFlags.None).ConfigureAwait(false);
                        bytes += filled;
                    }
                }
                finally
                {
                    outbox.DoneWriting();
                }
                outbox.Written(bytes);
                taken.Clear();
                spare = taken;
                // An idle connection keeps no buffer.
                System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
                chunk = null;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // The connection is gone; the read side notices and closes the session.
        }
        try
        {
            await kestrelOutput.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
        }
    }
}
