using System.Buffers;
using System.IO.Pipelines;
using Grove.Core.Delivery;

namespace Grove.Server.Doors;

/// <summary>
/// A connection's single writer: drains its outbox into the transport. Only this loop touches the output pipe.
/// Everything queued is taken at once and written before one flush, so a busy room costs one send per recipient per
/// turn, not per message. Awaiting the flush is the back-pressure point (the transport's write buffer is bounded).
/// </summary>
public static class PipeWriterLoop
{
    public static async Task RunAsync(Outbox outbox, PipeWriter output, LineTransport? transport = null)
    {
        var writer = new Writer(output);
        try
        {
            while (!writer.Ended && await outbox.WaitAsync().ConfigureAwait(false))
                await outbox.WriteQueuedAsync(writer).ConfigureAwait(false);
            if (!writer.Ended && transport?.Farewell?.Farewell() is { IsEmpty: false } last) await output.WriteAsync(last).ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException
                                       or Microsoft.AspNetCore.Connections.ConnectionResetException
                                       or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The connection is gone; the read side notices and closes the session.
        }
    }

    private sealed class Writer(PipeWriter output) : IOutboxWriter
    {
        /// <summary>The pipe's reader has gone: nothing more is written.</summary>
        public bool Ended;

        public async ValueTask WriteAsync(List<ReadOnlyMemory<byte>> segments)
        {
            Copy(segments, output);
            var flush = await output.FlushAsync().ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled) Ended = true;
        }
    }

    /// <summary>
    /// Copies the segments into the pipe a whole buffer at a time: one GetSpan and one Advance per buffer (each takes
    /// the pipe's lock), not one per segment.
    /// </summary>
    private static long Copy(List<ReadOnlyMemory<byte>> segments, PipeWriter output)
    {
        long total = 0;
        var span = output.GetSpan();
        var used = 0;
        foreach (var segment in segments)
        {
            var rest = segment.Span;
            while (!rest.IsEmpty)
            {
                if (used == span.Length)
                {
                    output.Advance(used);
                    span = output.GetSpan();
                    used = 0;
                }
                var n = Math.Min(rest.Length, span.Length - used);
                rest[..n].CopyTo(span[used..]);
                used += n;
                rest = rest[n..];
            }
            total += segment.Length;
        }
        output.Advance(used);
        return total;
    }
}
