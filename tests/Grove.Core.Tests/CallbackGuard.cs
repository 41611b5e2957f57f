namespace Grove.Core.Tests;

/// <summary>
/// For assertions inside callbacks the core runs on its own loops (a connection's send, InputArriving): a failure is
/// kept and the callback returns, so the loop goes on; the test's next <see cref="Wait"/> then ends with that failure,
/// and a loop that stopped anyway ends it with a timeout instead of a run that never finishes.
/// </summary>
internal sealed class CallbackGuard(TimeSpan? timeout = null)
{
    public TimeSpan Timeout { get; } = timeout ?? TimeSpan.FromSeconds(20);
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Run(Action callback)
    {
        try { callback(); }
        catch (Exception ex) { _failed.TrySetException(ex); }
    }

    public T Run<T>(Func<T> callback, T otherwise)
    {
        try { return callback(); }
        catch (Exception ex) { _failed.TrySetException(ex); return otherwise; }
    }

    /// <summary>Waits for <paramref name="task"/>; throws a callback's failure as soon as there is one, or a timeout.</summary>
    public async Task Wait(Task task)
    {
        var first = await Task.WhenAny(task, _failed.Task, Task.Delay(Timeout));
        // A failure wins even when the task finished too (the callback may run in the very round that completes it).
        if (_failed.Task.IsCompleted) await _failed.Task;
        if (first != task) throw new TimeoutException($"The core did not finish within {Timeout.TotalSeconds:0} s (did a callback fail on one of its loops?).");
        await task;
    }
}
