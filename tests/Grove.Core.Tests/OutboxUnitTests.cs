using Grove.Core.Delivery;

namespace Grove.Core.Tests;

/// <summary>The outbox between producers and a connection's one writer loop, including its doorbell.</summary>
public sealed class OutboxUnitTests
{
    private static readonly ReadOnlyMemory<byte> One = new byte[] { 1 };

    [Fact]
    public async Task A_segment_queued_before_the_wait_is_found_at_once_and_one_queued_during_it_wakes_it()
    {
        var outbox = new Outbox(1000);
        Assert.True(outbox.TryEnqueue(One));
        Assert.True(await outbox.WaitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        var spare = new List<ReadOnlyMemory<byte>>();
        var taken = outbox.TakeAll(spare);
        Assert.Single(taken);
        outbox.DoneWriting();
        outbox.Written(1);

        var waiting = outbox.WaitAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        _ = Task.Run(() => outbox.TryEnqueue(One));
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        outbox.Complete();
        taken = outbox.TakeAll(new List<ReadOnlyMemory<byte>>());
        outbox.DoneWriting();
        Assert.Single(taken);
        Assert.False(await outbox.WaitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Four_producers_and_the_writer_loop_lose_nothing_and_never_hang()
    {
        const int perProducer = 50_000;
        var outbox = new Outbox(long.MaxValue);
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                Assert.True(outbox.TryEnqueue(One));
                if (i % 1000 == p) await Task.Yield();
            }
        })).ToArray();
        long received = 0;
        var writer = Task.Run(async () =>
        {
            var spare = new List<ReadOnlyMemory<byte>>();
            while (await outbox.WaitAsync())
            {
                var taken = outbox.TakeAll(spare);
                received += taken.Count;
                outbox.DoneWriting();
                outbox.Written(taken.Count);
                taken.Clear();
                spare = taken;
            }
        });
        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromSeconds(30));
        outbox.Complete();
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(4L * perProducer, received);
        Assert.Equal(0, outbox.PendingBytes);
    }

    [Fact]
    public async Task A_writer_on_demand_runs_only_while_there_is_something_to_write_and_keeps_each_producers_order()
    {
        const int perProducer = 20_000;
        var outbox = new Outbox(long.MaxValue);
        var connection = new HalfTakingConnection(outbox);
        outbox.UseDirectSend(connection);
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                // Producer p's i-th segment: [p, i as four bytes].
                var segment = new byte[5];
                segment[0] = (byte)p;
                BitConverter.TryWriteBytes(segment.AsSpan(1), i);
                Assert.True(outbox.TryEnqueue(segment));
                if (i % 1000 == p) await Task.Yield();
            }
        })).ToArray();
        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromSeconds(30));
        var drained = outbox.Drained;
        Assert.False(drained.IsCompleted); // not before the outbox is completed
        outbox.Complete();
        await drained.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, outbox.PendingBytes);
        Assert.Equal(0, connection.WritersRunning);
        Assert.Equal(1, connection.MostWritersAtOnce);
        Assert.True(connection.WritersStarted > 1, "the writer stops when the outbox is empty and is started again");
        var bytes = connection.Received.ToArray();
        Assert.Equal(4 * perProducer * 5, bytes.Length);
        var next = new int[4];
        for (var at = 0; at < bytes.Length; at += 5)
        {
            var p = bytes[at];
            Assert.Equal(next[p]++, BitConverter.ToInt32(bytes, at + 1));
        }
    }

    /// <summary>
    /// A connection in memory that takes, on a direct send, only half of what is offered (so the rest goes through
    /// the queue), and whose writer runs on the thread pool, as the socket transport's does.
    /// </summary>
    private sealed class HalfTakingConnection(Outbox outbox) : IWriterOnDemand
    {
        private readonly object _gate = new();
        public readonly MemoryStream Received = new();
        public int WritersRunning, MostWritersAtOnce, WritersStarted;

        public long TrySendNow(List<ReadOnlyMemory<byte>> segments)
        {
            long total = 0;
            foreach (var s in segments) total += s.Length;
            var take = total / 2;
            lock (_gate)
            {
                long left = take;
                foreach (var s in segments)
                {
                    if (left == 0) break;
                    var n = (int)Math.Min(left, s.Length);
                    Received.Write(s.Span[..n]);
                    left -= n;
                }
            }
            return take;
        }

        public void StartWriter()
        {
            var running = Interlocked.Increment(ref WritersRunning);
            Interlocked.Increment(ref WritersStarted);
            lock (_gate) MostWritersAtOnce = Math.Max(MostWritersAtOnce, running);
            ThreadPool.QueueUserWorkItem(_ => Write());
        }

        private void Write()
        {
            var spare = new List<ReadOnlyMemory<byte>>();
            while (true)
            {
                var taken = outbox.TakeAll(spare);
                if (taken.Count == 0)
                {
                    Interlocked.Decrement(ref WritersRunning); // before: a new writer may start as soon as this one stops
                    if (outbox.TryStopWriter()) return;
                    Interlocked.Increment(ref WritersRunning);
                    continue;
                }
                long bytes = 0;
                lock (_gate)
                    foreach (var s in taken) { Received.Write(s.Span); bytes += s.Length; }
                outbox.DoneWriting();
                outbox.Written(bytes);
                taken.Clear();
                spare = taken;
            }
        }
    }
}
