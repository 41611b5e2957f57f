using Grove.Server.Store.Postgres;
using Grove.Testing;

namespace Grove.Server.Tests.Store;

/// <summary>The log reader's wait for another node's wake-up, on a real PostgreSQL.</summary>
public sealed class PostgresLogWaitTests
{
    [Fact]
    public async Task A_wait_of_less_than_a_millisecond_ends_instead_of_waiting_for_ever()
    {
        // Npgsql takes a wait of 0 ms as no limit: a remainder under 1 ms (after this node's own wake-ups were waited
        // through) left the reader asleep until another node appended, and a stop waited for it.
        using var store = new PostgresMessageStore(SharedPostgres.NewDatabase(), "a");
        store.Open();
        var wait = Task.Run(() => store.WaitForBlocks(TimeSpan.FromTicks(5_000)));
        Assert.Same(wait, await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(5))));
        Assert.False(await wait);
    }
}
