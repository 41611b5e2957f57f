using System.Buffers;
using System.IO.Pipelines;
using Grove.Core.Delivery;

namespace Grove.Server.Doors;

/// <summary>
/// A connection's single writer: drains its outbox into the transport. Only this loop touches the output pipe.
/// Everything queued is written before one flush, so a busy room costs one send per recipient per turn, not per
/// message. Awaiting the flush is the back-pressure point (the transport's write buffer is bounded).
/// </summary>
public static class PipeWriterLoop
{
    private const int MaxBytesPerFlush = 256 * 1024;

    public static async Task RunAsync(Outbox outbox, PipeWriter output)
    {
        var reader = outbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                long written = 0;
                while (written < MaxBytesPerFlush && reader.TryRead(out var segment))
                {
                    output.Write(segment.Span);
                    written += segment.Length;
                }
                var flush = await output.FlushAsync().ConfigureAwait(false);
                outbox.Written(written);
                if (flush.IsCompleted || flush.IsCanceled) break;
            }
            await output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException
                                       or Microsoft.AspNetCore.Connections.ConnectionResetException
                                       or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The connection is gone; the read side notices and closes the session.
        }
    }
}
