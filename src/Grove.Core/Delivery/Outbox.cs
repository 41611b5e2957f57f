using System.Threading.Channels;

namespace Grove.Core.Delivery;

/// <summary>
/// A connection's outbound queue of already-rendered byte segments, bounded in bytes.
/// MUST: one reader only (the connection's writer loop), which calls <see cref="Written"/> after each flush.
/// MAY: any number of producers; <see cref="TryEnqueue"/> never blocks.
/// Segments are shared between recipients and never changed after they are enqueued.
/// </summary>
public sealed class Outbox(long maxBytes)
{
    private readonly Channel<ReadOnlyMemory<byte>> _queue = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });
    private long _bytes;

    public long MaxBytes { get; } = maxBytes;

    /// <summary>Bytes enqueued and not yet reported written.</summary>
    public long PendingBytes => Volatile.Read(ref _bytes);

    public ChannelReader<ReadOnlyMemory<byte>> Reader => _queue.Reader;

    /// <summary>
    /// Adds a segment. False when the outbox is closed, or when this segment would take it past <see cref="MaxBytes"/>:
    /// the caller then closes the connection as a slow consumer.
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> segment)
    {
        if (segment.IsEmpty) return true;
        var total = Interlocked.Add(ref _bytes, segment.Length);
        if (total > MaxBytes)
        {
            Interlocked.Add(ref _bytes, -segment.Length);
            return false;
        }
        if (_queue.Writer.TryWrite(segment)) return true;
        Interlocked.Add(ref _bytes, -segment.Length);
        return false;
    }

    /// <summary>Adds a segment even past the limit (for the one final line before a deliberate close).</summary>
    public bool EnqueueFinal(ReadOnlyMemory<byte> segment)
    {
        Interlocked.Add(ref _bytes, segment.Length);
        return _queue.Writer.TryWrite(segment);
    }

    /// <summary>The writer loop reports bytes it has handed to the transport.</summary>
    public void Written(long bytes) => Interlocked.Add(ref _bytes, -bytes);

    /// <summary>No more segments: the writer loop drains what is queued and ends.</summary>
    public void Complete() => _queue.Writer.TryComplete();
}
