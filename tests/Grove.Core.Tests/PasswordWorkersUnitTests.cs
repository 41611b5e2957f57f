using Grove.Core.Accounts;

namespace Grove.Core.Tests;

/// <summary>The password-hashing workers: how many there are, the queue limit, and shutting down with jobs waiting.</summary>
public sealed class PasswordWorkersUnitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // Occupies every worker with a job that waits for the gate; returns once each worker has taken its job.
    private static List<Task<int>> OccupyAll(PasswordWorkers workers, ManualResetEventSlim gate)
    {
        using var started = new CountdownEvent(workers.Count);
        var jobs = Enumerable.Range(0, workers.Count).Select(i => workers.TryRun(() => { started.Signal(); gate.Wait(); return i; })!).ToList();
        Assert.True(started.Wait(Timeout), "the workers did not start");
        return jobs;
    }

    [Fact]
    public void There_are_the_cores_minus_one_workers_and_at_least_one()
    {
        using var auto = new PasswordWorkers(queueLimit: 4);
        Assert.Equal(Math.Max(1, Environment.ProcessorCount - 1), auto.Count);
        using var many = new PasswordWorkers(queueLimit: 4, workers: 1000);
        Assert.Equal(auto.Count, many.Count);
        using var one = new PasswordWorkers(queueLimit: 4, workers: 1);
        Assert.Equal(1, one.Count);
    }

    [Fact]
    public async Task Past_the_queue_limit_a_job_is_refused_at_once_and_the_queued_ones_still_run()
    {
        using var gate = new ManualResetEventSlim();
        using var workers = new PasswordWorkers(queueLimit: 2);
        var running = OccupyAll(workers, gate);
        var queued = new[] { workers.TryRun(() => 100), workers.TryRun(() => 101) };
        Assert.All(queued, Assert.NotNull);
        Assert.Equal(2, workers.Waiting);
        Assert.Null(workers.TryRun(() => 102));
        gate.Set();
        var results = await Task.WhenAll(queued!).WaitAsync(Timeout);
        Assert.Equal(new[] { 100, 101 }, results);
        await Task.WhenAll(running).WaitAsync(Timeout);
        // Room again once the queue drained.
        Assert.Equal(103, await workers.TryRun(() => 103)!.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Disposing_cancels_the_waiting_jobs_and_refuses_new_ones()
    {
        using var gate = new ManualResetEventSlim();
        var workers = new PasswordWorkers(queueLimit: 2);
        var running = OccupyAll(workers, gate);
        var waiting = workers.TryRun(() => 1)!;
        var disposing = Task.Run(workers.Dispose);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Timeout));
        Assert.Null(workers.TryRun(() => 2));
        gate.Set();
        await disposing.WaitAsync(Timeout);
        await Task.WhenAll(running).WaitAsync(Timeout);
    }
}
