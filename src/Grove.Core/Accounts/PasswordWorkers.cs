using System.Collections.Concurrent;

namespace Grove.Core.Accounts;

/// <summary>
/// Threads of their own for password hashing, at most the cores minus one (at least one), with a bounded queue.
/// PBKDF2 on the shared thread pool let 150 registrations at once delay /healthz by 15 s and WebSocket handshakes by
/// more than a minute (issue #20): the pool's threads were all hashing. Here a crowd waits in the queue, a core stays
/// for everything else, and past the queue limit <see cref="TryRun{T}"/> refuses at once instead of queueing.
/// MUST: dispose to end the threads. Any thread may call <see cref="TryRun{T}"/>.
/// </summary>
public sealed class PasswordWorkers : IDisposable
{
    private readonly BlockingCollection<Job> _queue;

    private sealed record Job(Action Run, Action Cancel);
    private readonly Thread[] _threads;

    /// <param name="queueLimit">Jobs that may wait for a worker; one more is refused.</param>
    /// <param name="workers">Worker threads; 0 for the cores minus one. Never more than that, never fewer than one.</param>
    public PasswordWorkers(int queueLimit, int workers = 0)
    {
        var most = Math.Max(1, Environment.ProcessorCount - 1);
        Count = workers <= 0 ? most : Math.Min(workers, most);
        _queue = new BlockingCollection<Job>(new ConcurrentQueue<Job>(), Math.Max(1, queueLimit));
        _threads = new Thread[Count];
        for (var i = 0; i < Count; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"grove-password-{i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>How many worker threads hash.</summary>
    public int Count { get; }

    /// <summary>Jobs waiting for a worker now.</summary>
    public int Waiting => _queue.Count;

    /// <summary>Runs <paramref name="job"/> on a worker; null when the queue is full (or the workers have stopped).</summary>
    public Task<T>? TryRun<T>(Func<T> job)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Run()
        {
            try { done.SetResult(job()); }
            catch (Exception ex) { done.SetException(ex); }
        }
        try
        {
            return _queue.TryAdd(new Job(Run, () => done.TrySetCanceled())) ? done.Task : null;
        }
        catch (InvalidOperationException)
        {
            return null; // disposed: adding is over
        }
    }

    private void Work()
    {
        try
        {
            foreach (var job in _queue.GetConsumingEnumerable()) job.Run();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Cancels the jobs still waiting (shutdown should not wait for a queue of hashes) and ends the threads.</summary>
    public void Dispose()
    {
        if (_queue.IsAddingCompleted) return;
        _queue.CompleteAdding();
        while (_queue.TryTake(out var job)) job.Cancel();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(5));
    }
}
