using Grove.Core.Accounts;
using Grove.Core.History;

namespace Grove.Core.Cluster;

/// <summary>
/// The cluster's ordered command log, as a store that can hold one offers it (PostgreSQL). Every node appends the
/// commands its connections send, in blocks (one transaction each), and applies every block in the log's order to its
/// own copy of the chat state; block numbers are gap-free in commit order. Each block's messages and changes are
/// written once (materialized) by whichever node gets there first, before any node delivers them.
/// All methods block and throw <see cref="StoreException"/> (with a sentence for a person) when the database fails.
/// </summary>
public interface IClusterLog
{
    /// <summary>Joins the cluster: a fresh epoch when no node is alive, otherwise the running one.</summary>
    ClusterStart Join(string nodeName, TimeSpan lostAfter, Func<ClusterBase> makeBase);

    /// <summary>Appends one block of encoded entries; marks <paramref name="lost"/> nodes gone in the same transaction.</summary>
    long Append(byte[] entries, IReadOnlyList<int>? lost = null);

    /// <summary>
    /// The blocks after <paramref name="after"/>, oldest first, at most <paramref name="max"/>, and how far the log
    /// is materialized (so a node need not write again what another node wrote already).
    /// </summary>
    LogRead Read(long after, int max);

    /// <summary>
    /// Waits (at most <paramref name="timeout"/>) for the wake-up a block of another node sends when it is committed;
    /// false on timeout. (A node's own blocks come from its appender, with the number Append returned.)
    /// </summary>
    bool WaitForBlocks(TimeSpan timeout);

    /// <summary>
    /// Writes the messages and changes of the blocks not yet materialized, in one transaction, and returns the newest
    /// block materialized (by this node or another).
    /// </summary>
    long Materialize(IReadOnlyList<BlockChanges> blocks);

    /// <summary>
    /// Renews this node's lease and counts the nodes of its epoch not counted gone (this one included); 0 when the
    /// cluster has counted this node gone (it must stop serving).
    /// </summary>
    int Beat();

    /// <summary>Nodes of this epoch whose lease ran out (by the database's clock), this node excluded.</summary>
    IReadOnlyList<int> FindLost(TimeSpan lostAfter);

    /// <summary>This node leaves on purpose (after its people were told): it is marked gone at once.</summary>
    void Leave();
}

/// <summary>Blocks read from the log, and the newest block materialized when they were read.</summary>
public sealed record LogRead(IReadOnlyList<LogBlock> Blocks, long Materialized);

/// <summary>Where a node starts: its id, the epoch's base state, and the block after which it applies the log.</summary>
/// <see cref="Replaced"/>: earlier starts of a node of the same name (killed) that the lease still counted alive, or,
/// when <see cref="Recovered"/>, every node of an epoch that ended with no node alive and blocks not yet materialized
/// (blocks that may have been delivered: this node applies and materializes them before its doors open).
public sealed record ClusterStart(int NodeId, ClusterBase Base, long BaseBlock, long Head, bool FreshEpoch, IReadOnlyList<int> Replaced, bool Recovered = false);

/// <summary>What an epoch starts from: the stored state at the moment the first node of the epoch started.</summary>
public sealed record ClusterBase(long LastId, IReadOnlyList<StoredRoom> Rooms, StoredState State);

public sealed record LogBlock(long Number, int Node, byte[] Entries);

/// <summary>What one applied block stores: its messages, room rows and account or moderation changes.</summary>
public sealed record BlockChanges(long Block, IReadOnlyList<StoredMessage> Messages, IReadOnlyList<StoredRoom> Rooms, StoreChanges? Changes);
