using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Grove.Core.Delivery;

/// <summary>
/// Writes to a connection without waiting, when the connection allows it (a plain socket, not TLS).
/// </summary>
public interface IDirectSend
{
    /// <summary>
    /// Hands as many bytes of the segments to the connection as it takes at once, without blocking; returns how
    /// many (0 when it takes none now, or cannot take any).
    /// </summary>
    long TrySendNow(List<ReadOnlyMemory<byte>> segments);
}

/// <summary>
/// A connection whose writer runs only while there is something to write, instead of a loop that waits for ever:
/// an idle connection then holds no writer state at all.
/// </summary>
public interface IWriterOnDemand : IDirectSend
{
    /// <summary>
    /// Starts the writer, elsewhere than on the caller's thread. It takes with <see cref="Outbox.TakeAll"/> and
    /// writes until <see cref="Outbox.TryStopWriter"/> says it may stop. Never called while a writer runs.
    /// </summary>
    void StartWriter();
}

/// <summary>What a connection's writer does with what it takes from the outbox (<see cref="Outbox.WriteQueuedAsync"/>).</summary>
public interface IOutboxWriter
{
    /// <summary>
    /// Writes the segments, in order. It may throw when the connection is gone: the outbox then counts them written
    /// all the same (nobody will read them), and the read side closes the session.
    /// </summary>
    ValueTask WriteAsync(List<ReadOnlyMemory<byte>> segments);
}

/// <summary>
/// A connection's outbound queue of already-rendered byte segments, bounded in bytes.
/// <para>
/// MUST: one writer, which drains with <see cref="WriteQueuedAsync"/> (the one place that takes, writes, and gives the
/// output back in the order this class needs): either a loop that waits with <see cref="WaitAsync"/>, or a writer on
/// demand (<see cref="IWriterOnDemand"/>) that the outbox starts when there is something to write and that stops when
/// <see cref="TryStopWriter"/> allows. MAY: any number of producers; enqueueing never blocks.
/// Segments are shared between recipients and never changed after they are enqueued.
/// </para>
/// <para>
/// The fast path: with an <see cref="IDirectSend"/>, a producer that finds nothing queued and nobody writing sends
/// the bytes itself at once (one send call, no copy, no thread hop), and queues only what the connection did not
/// take; the writer loop is woken only then. A busy room thus costs, per recipient and delivery round, one send
/// and no wake-up, and a slow reader still ends up in the queue and its byte bound.
/// </para>
/// </summary>
public sealed class Outbox(long maxBytes)
{
    private readonly object _gate = new();
    private List<ReadOnlyMemory<byte>> _queue = new();
    private bool _completed;
    private bool _writing; // the writer loop, or a producer on the fast path, owns the connection's output
    private long _bytes;
    private IDirectSend? _direct;
    private IWriterOnDemand? _onDemand;
    private bool _writerRunning; // on demand: a writer has been started and has not stopped
    private bool _drained;       // completed, everything written, nobody writing
    private TaskCompletionSource? _drainedSignal;

    // Wakes the writer loop (made when the loop first waits; writers on demand have none). A ring with nothing to
    // take is harmless.
    private Doorbell? _bell;

    public long MaxBytes { get; } = maxBytes;

    /// <summary>Bytes enqueued and not yet reported written.</summary>
    public long PendingBytes => Volatile.Read(ref _bytes);

    /// <summary>True once <see cref="Complete"/> was called.</summary>
    public bool IsCompleted { get { lock (_gate) return _completed; } }

    /// <summary>Turns on the fast path (before anything is enqueued).</summary>
    public void UseDirectSend(IDirectSend direct)
    {
        _direct = direct;
        _onDemand = direct as IWriterOnDemand;
    }

    /// <summary>
    /// Completes once the outbox is completed and everything in it was written (for a writer on demand; a writer
    /// loop ends then instead).
    /// </summary>
    public Task Drained
    {
        get
        {
            lock (_gate)
            {
                if (_drained) return Task.CompletedTask;
                return (_drainedSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    /// <summary>
    /// The writer on demand found nothing to take: true when it should stop (it is then no longer running); false
    /// when something was queued meanwhile and it should take again.
    /// </summary>
    public bool TryStopWriter()
    {
        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            if (_queue.Count > 0 && !_writing) return false;
            _writerRunning = false;
            // An idle connection keeps no array; the next segment queued makes a small one.
            if (_queue.Count == 0) _queue.Capacity = 0;
            _spare = null;
            if (_completed && _queue.Count == 0 && !_writing && !_drained)
            {
                _drained = true;
                drained = _drainedSignal;
            }
        }
        drained?.TrySetResult();
        return true;
    }

    // Under the lock: whether the writer is to be told there may be something to write. A writer loop always is (a ring
    // with nothing to take is harmless); a writer on demand only when none runs, and it then counts as running.
    private bool ClaimWake()
    {
        if (_onDemand is null) return true;
        if (_writerRunning) return false;
        _writerRunning = true;
        return true;
    }

    // After ClaimWake, outside the lock: ring the writer loop's bell, or start the writer on demand.
    private void Wake()
    {
        if (_onDemand is null) Bell.Ring();
        else _onDemand.StartWriter();
    }

    private Doorbell Bell
    {
        get
        {
            if (_bell is { } bell) return bell;
            Interlocked.CompareExchange(ref _bell, new Doorbell(), null);
            return _bell;
        }
    }

    /// <summary>
    /// Adds a segment. False when the outbox is closed, or when this segment would take it past <see cref="MaxBytes"/>:
    /// the caller then closes the connection as a slow consumer.
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> segment) => segment.IsEmpty || TryEnqueueMany([segment], segment.Length);

    /// <summary>
    /// Adds several segments of <paramref name="bytes"/> bytes in all, in order, all or none. False as for
    /// <see cref="TryEnqueue"/>. Without <paramref name="sendNow"/> the fast path is not taken: the writer loop sends
    /// them, together with whatever else is queued by then.
    /// </summary>
    public bool TryEnqueueMany(List<ReadOnlyMemory<byte>> segments, long bytes, bool sendNow = true)
    {
        if (segments.Count == 0) return true;
        bool ring;
        lock (_gate)
        {
            if (_completed || Volatile.Read(ref _bytes) + bytes > MaxBytes) return false;
            if (sendNow && _direct is not null && _queue.Count == 0 && !_writing)
            {
                _writing = true;
                ring = false;
            }
            else
            {
                ring = _queue.Count == 0 && ClaimWake();
                _queue.AddRange(segments);
                Interlocked.Add(ref _bytes, bytes);
                segments = null!;
            }
        }
        if (segments is not null) SendNow(segments, bytes);
        else if (ring) Wake();
        return true;
    }

    // The fast path: this producer owns the output until it gives it back.
    private void SendNow(List<ReadOnlyMemory<byte>> segments, long bytes)
    {
        long sent;
        try
        {
            sent = Math.Clamp(_direct!.TrySendNow(segments), 0, bytes);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or IOException)
        {
            sent = 0; // the writer loop will find the connection gone
        }
        bool ring;
        lock (_gate)
        {
            if (sent < bytes)
            {
                // What the connection did not take goes first in the queue, for the writer loop.
                var rest = new List<ReadOnlyMemory<byte>>(segments.Count + _queue.Count);
                var skip = sent;
                foreach (var s in segments)
                {
                    if (skip >= s.Length) { skip -= s.Length; continue; }
                    rest.Add(s[(int)skip..]);
                    skip = 0;
                }
                rest.AddRange(_queue);
                _queue = rest;
                Interlocked.Add(ref _bytes, bytes - sent);
            }
            _writing = false;
            ring = (_queue.Count > 0 || _completed) && ClaimWake();
        }
        if (ring) Wake();
    }

    /// <summary>
    /// Swaps everything queued into <paramref name="spare"/> (which must be empty) and returns the list that holds it;
    /// give that list back as the spare next time. Empty when nothing is queued or a producer is sending right now.
    /// A non-empty answer makes the caller the owner of the output until <see cref="DoneWriting"/>.
    /// </summary>
    public List<ReadOnlyMemory<byte>> TakeAll(List<ReadOnlyMemory<byte>> spare)
    {
        lock (_gate)
        {
            if (_queue.Count == 0 || _writing) return spare;
            var taken = _queue;
            _queue = spare;
            _writing = true;
            return taken;
        }
    }

    private List<ReadOnlyMemory<byte>>? _spare; // the writer's second list, swapped with the queue; none while idle

    /// <summary>
    /// The drain every writer uses: takes everything queued, hands it to <paramref name="writer"/>, then gives the
    /// output back (<see cref="DoneWriting"/>) before counting the bytes written (<see cref="Written"/>), so a
    /// producer never sends directly while taken bytes are still being written. False when there was nothing to take.
    /// </summary>
    public async ValueTask<bool> WriteQueuedAsync(IOutboxWriter writer)
    {
        var taken = TakeAll(_spare ??= new List<ReadOnlyMemory<byte>>());
        if (taken.Count == 0) return false;
        long bytes = 0;
        foreach (var segment in taken) bytes += segment.Length;
        try
        {
            await writer.WriteAsync(taken).ConfigureAwait(false);
        }
        finally
        {
            DoneWriting();
            Written(bytes);
            taken.Clear();
            _spare = taken;
        }
        return true;
    }

    /// <summary>The writer loop has written what it took; producers may send directly again.</summary>
    public void DoneWriting()
    {
        lock (_gate) _writing = false;
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
    /// Waits until something may be queued. False once the outbox is completed, everything queued was taken and
    /// nobody is sending.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> WaitAsync()
    {
        while (true)
        {
            lock (_gate)
            {
                if (_queue.Count > 0 && !_writing) return true;
                if (_completed && _queue.Count == 0 && !_writing) return false;
            }
            await Bell.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The writer loop reports bytes it has handed to the transport.</summary>
    public void Written(long bytes) => Interlocked.Add(ref _bytes, -bytes);

    /// <summary>No more segments: the writer loop drains what is queued and ends.</summary>
    public void Complete()
    {
        bool ring;
        lock (_gate)
        {
            _completed = true;
            ring = ClaimWake();
        }
        if (ring) Wake();
    }
}

/// <summary>
/// A signal for one waiter: <see cref="Ring"/> from any thread, <see cref="WaitAsync"/> from the one reader. A ring
/// while nobody waits is kept (one, however many rings) for the next wait. About 80 bytes, where a bounded channel
/// used as a doorbell cost every connection about 600.
/// </summary>
internal sealed class Doorbell : IValueTaskSource
{
    private const int Idle = 0, Rung = 1, Waiting = 2;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Rung) == Rung) return default; // a ring was waiting
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            // Rung between the two steps: take it.
            Volatile.Write(ref _state, Idle);
            return default;
        }
        return new ValueTask(this, _core.Version);
    }

    public void Ring()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Rung:
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Rung, Idle) == Idle) return;
                    break;
                default:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        _core.SetResult(true);
                        return;
                    }
                    break;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
