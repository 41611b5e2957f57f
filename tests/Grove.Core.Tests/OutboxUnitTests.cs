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
}
