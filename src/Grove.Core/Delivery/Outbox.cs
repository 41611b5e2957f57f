using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Grove.Core.Delivery;

/// <summary>
/// A connection's outbound queue of already-rendered byte segments, bounded in bytes.
/// MUST: one reader only (the connection's writer loop), which takes everything queued with <see cref="TakeAll"/>,
/// writes it, and calls <see cref="Written"/> after each flush.
/// MAY: any number of producers; enqueueing never blocks.
/// Segments are shared between recipients and never changed after they are enqueued.
/// The delivery loop adds a whole round of segments for one recipient at once (<see cref="TryEnqueueMany"/>): one lock
/// and at most one wake-up of the writer per recipient per round, however many messages the round holds.
/// </summary>
public sealed class Outbox(long maxBytes)
{
    private readonly object _gate = new();
    private List<ReadOnlyMemory<byte>> _queue = new();
    private bool _completed;
    private long _bytes;

    // A doorbell, not a queue: at most one pending ring. A ring with nothing to take is harmless.
    private readonly Channel<bool> _bell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
        { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    public long MaxBytes { get; } = maxBytes;

    /// <summary>Bytes enqueued and not yet reported written.</summary>
    public long PendingBytes => Volatile.Read(ref _bytes);

    /// <summary>True once <see cref="Complete"/> was called.</summary>
    public bool IsCompleted { get { lock (_gate) return _completed; } }

    /// <summary>
    /// Adds a segment. False when the outbox is closed, or when this segment would take it past <see cref="MaxBytes"/>:
    /// the caller then closes the connection as a slow consumer.
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> segment)
    {
        if (segment.IsEmpty) return true;
        bool ring;
        lock (_gate)
        {
            if (_completed || Volatile.Read(ref _bytes) + segment.Length > MaxBytes) return false;
            ring = _queue.Count == 0;
            _queue.Add(segment);
            Interlocked.Add(ref _bytes, segment.Length);
        }
        if (ring) _bell.Writer.TryWrite(true);
        return true;
    }

    /// <summary>
    /// Adds several segments of <paramref name="bytes"/> bytes in all, in order, all or none. False as for
    /// <see cref="TryEnqueue"/>.
    /// </summary>
    public bool TryEnqueueMany(List<ReadOnlyMemory<byte>> segments, long bytes)
    {
        if (segments.Count == 0) return true;
        bool ring;
        lock (_gate)
        {
            if (_completed || Volatile.Read(ref _bytes) + bytes > MaxBytes) return false;
            ring = _queue.Count == 0;
            _queue.AddRange(segments);
            Interlocked.Add(ref _bytes, bytes);
        }
        if (ring) _bell.Writer.TryWrite(true);
        return true;
    }

    /// <summary>Adds a segment even past the limit (for the one final line before a deliberate close).</summary>
    public bool EnqueueFinal(ReadOnlyMemory<byte> segment)
    {
        bool ring;
        lock (_gate)
        {
            if (_completed) return false;
            ring = _queue.Count == 0;
            _queue.Add(segment);
            Interlocked.Add(ref _bytes, segment.Length);
        }
        if (ring) _bell.Writer.TryWrite(true);
        return true;
    }

    /// <summary>
    /// Swaps everything queued into <paramref name="spare"/> (which must be empty) and returns the list that holds it;
    /// give that list back as the spare next time. Empty when nothing is queued.
    /// </summary>
    public List<ReadOnlyMemory<byte>> TakeAll(List<ReadOnlyMemory<byte>> spare)
    {
        lock (_gate)
        {
            if (_queue.Count == 0) return spare;
            var taken = _queue;
            _queue = spare;
            return taken;
        }
    }

    /// <summary>Takes the oldest segment, if any (for tests and simple readers).</summary>
    public bool TryTake(out ReadOnlyMemory<byte> segment)
    {
        lock (_gate)
        {
            if (_queue.Count == 0) { segment = default; return false; }
            segment = _queue[0];
            _queue.RemoveAt(0);
            return true;
        }
    }

    /// <summary>
    /// Waits until something may be queued. False once the outbox is completed and everything queued was taken.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> WaitAsync()
    {
        while (true)
        {
            lock (_gate)
            {
                if (_queue.Count > 0) return true;
                if (_completed) return false;
            }
            await _bell.Reader.WaitToReadAsync().ConfigureAwait(false);
            _bell.Reader.TryRead(out _);
        }
    }

    /// <summary>The writer loop reports bytes it has handed to the transport.</summary>
    public void Written(long bytes) => Interlocked.Add(ref _bytes, -bytes);

    /// <summary>No more segments: the writer loop drains what is queued and ends.</summary>
    public void Complete()
    {
        lock (_gate) _completed = true;
        _bell.Writer.TryWrite(true);
    }
}
