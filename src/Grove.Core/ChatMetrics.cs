using Grove.Core.People;

namespace Grove.Core;

/// <summary>Counters for /metrics and the status page. Updated with interlocked operations; read at any time.</summary>
public sealed class ChatMetrics
{
    private readonly long[] _connected = new long[3];
    private readonly long[] _accepted = new long[3];
    private long _messagesIn, _deliveries, _slowConsumers, _commits, _committedMessages, _commitTicks, _commitFailures, _takenIn;

    public void Connected(DoorKind door) { Interlocked.Increment(ref _connected[(int)door]); Interlocked.Increment(ref _accepted[(int)door]); }
    public void Disconnected(DoorKind door) => Interlocked.Decrement(ref _connected[(int)door]);
    public void MessageIn() => Interlocked.Increment(ref _messagesIn);
    public void Delivered(long count) => Interlocked.Add(ref _deliveries, count);
    public void SlowConsumer() => Interlocked.Increment(ref _slowConsumers);
    public void CommitFailed() => Interlocked.Increment(ref _commitFailures);
    public void TakenInMidRound() => Interlocked.Increment(ref _takenIn);

    public void Committed(int messages, TimeSpan took)
    {
        var k = Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _committedMessages, messages);
        Interlocked.Add(ref _commitTicks, took.Ticks);
        // The commit loop is the only caller, so the ring of recent durations needs no lock.
        _recentCommits[(k - 1) & (_recentCommits.Length - 1)] = took.Ticks;
    }

    private readonly long[] _recentCommits = new long[1 << 16];

    /// <summary>The 99th percentile of the last 65,536 commits' durations (for the shutdown summary).</summary>
    public TimeSpan CommitP99()
    {
        var n = (int)Math.Min(Commits, _recentCommits.Length);
        if (n == 0) return TimeSpan.Zero;
        var copy = _recentCommits[..n];
        Array.Sort(copy);
        return TimeSpan.FromTicks(copy[Math.Min(n - 1, (int)Math.Ceiling(n * 0.99) - 1)]);
    }

    public long ConnectionsOpen(DoorKind door) => Volatile.Read(ref _connected[(int)door]);
    public long ConnectionsAccepted(DoorKind door) => Volatile.Read(ref _accepted[(int)door]);
    public long MessagesIn => Volatile.Read(ref _messagesIn);
    public long Deliveries => Volatile.Read(ref _deliveries);
    public long SlowConsumerDisconnects => Volatile.Read(ref _slowConsumers);
    public long Commits => Volatile.Read(ref _commits);
    public long CommittedMessages => Volatile.Read(ref _committedMessages);
    public TimeSpan CommitTime => TimeSpan.FromTicks(Volatile.Read(ref _commitTicks));
    public long CommitFailures => Volatile.Read(ref _commitFailures);
    /// <summary>Batches the delivery loop took in while it was still sending the round before (see HandOverStaged).</summary>
    public long BatchesTakenInMidRound => Volatile.Read(ref _takenIn);
}
