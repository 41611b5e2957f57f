using Grove.Core.Delivery;

namespace Grove.Core.Tests;

/// <summary>The one drain every writer uses (<see cref="Outbox.WriteQueuedAsync"/>).</summary>
public sealed class OutboxDrainUnitTests
{
    /// <summary>A connection that counts what a producer sends directly and what the writer writes, in order.</summary>
    private sealed class Connection : IDirectSend, IOutboxWriter
    {
        public readonly List<byte> Wire = new();
        public Func<Task>? DuringWrite;

        public long TrySendNow(List<ReadOnlyMemory<byte>> segments)
        {
            long n = 0;
            foreach (var s in segments) { Wire.AddRange(s.ToArray()); n += s.Length; }
            return n;
        }

        public async ValueTask WriteAsync(List<ReadOnlyMemory<byte>> segments)
        {
            if (DuringWrite is { } during) { DuringWrite = null; await during(); }
            foreach (var s in segments) Wire.AddRange(s.ToArray());
        }
    }

    [Fact]
    public async Task A_producer_during_a_write_queues_behind_it_and_the_bytes_are_counted_once_written()
    {
        var connection = new Connection();
        var outbox = new Outbox(1000);
        outbox.UseDirectSend(connection);
        // Something the direct send did not take: queue it by enqueueing without the fast path.
        Assert.True(outbox.TryEnqueueMany([new byte[] { 1 }], 1, sendNow: false));
        connection.DuringWrite = () =>
        {
            // The writer owns the output: this must wait in the queue, not overtake byte 1 on the wire.
            Assert.True(outbox.TryEnqueue(new byte[] { 2 }));
            Assert.Equal(2, outbox.PendingBytes);
            return Task.CompletedTask;
        };
        Assert.True(await outbox.WriteQueuedAsync(connection));
        Assert.Equal(1, outbox.PendingBytes); // byte 1 written; byte 2 still queued
        Assert.True(await outbox.WriteQueuedAsync(connection));
        Assert.False(await outbox.WriteQueuedAsync(connection));
        Assert.Equal([1, 2], connection.Wire);
        Assert.Equal(0, outbox.PendingBytes);
        // The output is free again: the next producer sends directly.
        Assert.True(outbox.TryEnqueue(new byte[] { 3 }));
        Assert.Equal([1, 2, 3], connection.Wire);
    }

    [Fact]
    public async Task A_write_that_fails_still_gives_the_output_back_and_counts_the_bytes()
    {
        var connection = new Connection { DuringWrite = () => throw new IOException("gone") };
        var outbox = new Outbox(1000);
        outbox.UseDirectSend(connection);
        Assert.True(outbox.TryEnqueueMany([new byte[] { 1, 2 }], 2, sendNow: false));
        await Assert.ThrowsAsync<IOException>(() => outbox.WriteQueuedAsync(connection).AsTask());
        Assert.Equal(0, outbox.PendingBytes);
        Assert.True(outbox.TryEnqueue(new byte[] { 3 }));
        Assert.Equal([3], connection.Wire);
    }
}
