using Grove.Core;
using Grove.Core.Cluster;
using Grove.Server.Store.Postgres;
using Grove.Testing;
using Npgsql;

namespace Grove.Server.Tests.Store;

/// <summary>The append of a node the cluster counted lost, on a real PostgreSQL (three nodes' stores on one database).</summary>
public sealed class PostgresFencedAppendTests
{
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_fenced_node_appends_nothing_wakes_no_one_and_counts_no_other_node_lost()
    {
        var database = SharedPostgres.NewDatabase();
        using var a = Joined(database, "a");
        using var b = Joined(database, "b");
        using var x = Joined(database, "x");
        var (aId, xId) = (Id(database, "a"), Id(database, "x"));
        b.Read(0, 10); // b's reader listens from here on

        // b counts a lost; a, not knowing it yet, appends with x counted lost by itself.
        b.Append([1], [aId]);
        Assert.Throws<ClusterFencedException>(() => a.Append([2], [xId]));
        Assert.False(b.WaitForBlocks(TimeSpan.FromMilliseconds(500)), "the fenced node woke another node's reader");
        Assert.Equal(1, Count(database, "SELECT count(*) FROM command_log"));
        // Only a node of the cluster may count x lost, by a NodeLost entry in the log that its people leave by: a mark
        // without one would leave them on every node for ever (no node finds a node that is gone).
        Assert.Equal(0, Count(database, $"SELECT count(*) FROM cluster_nodes WHERE id = {xId} AND gone"));

        // A node of the cluster still wakes the others.
        x.Append([3]);
        Assert.True(b.WaitForBlocks(TimeSpan.FromSeconds(5)));
    }

    private static PostgresMessageStore Joined(string database, string name)
    {
        var store = new PostgresMessageStore(database, name);
        store.Open();
        store.Join(name, LostAfter, () => new ClusterBase(store.LastMessageId(), store.LoadRooms(), store.LoadState()));
        return store;
    }

    private static int Id(string database, string name) => (int)Count(database, $"SELECT id FROM cluster_nodes WHERE name = '{name}'");

    private static long Count(string database, string sql)
    {
        using var c = new NpgsqlConnection(database);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }
}
