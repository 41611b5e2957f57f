using Grove.Core.History;

namespace Grove.Core;

// A node of a cluster (ChatServer.Cluster.cs): its lease, how it stops when the cluster counts it lost, which parts of
// the log are failing (for /healthz and the log), and how it leaves.
public sealed partial class ChatServer
{
    // ---- The lease: this node is alive, and which others are not --------------------------------------------

    private void RunBeater()
    {
        var lostAfter = _options.NodeLostAfter;
        var interval = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, lostAfter.Ticks / 5));
        // A node is judged lost when its lease is this old, so that noticing it (one interval) stays within the bound.
        var lease = lostAfter - interval * 2;
        var upSince = _time.GetTimestamp();
        var announced = new Dictionary<int, long>();
        var stop = _clusterStop.Token;
        while (!stop.WaitHandle.WaitOne(interval))
        {
            try
            {
                var nodes = _cluster!.Beat();
                if (nodes == 0)
                {
                    Fence("the cluster counted this node as lost (it could not renew its lease in time)");
                    return;
                }
                Volatile.Write(ref _clusterNodes, nodes);
                LogWorks(LogPart.Lease);
                // A lease renewed is a write PostgreSQL took: an appender with nothing to retry works again too.
                if (!Volatile.Read(ref _appendRetrying)) LogWorks(LogPart.Append);
                // Only a node that has itself been in touch for a whole bound judges others: after PostgreSQL was
                // away, every lease is old, and each node needs a moment to renew its own.
                if (_time.GetElapsedTime(upSince) < lostAfter) continue;
                foreach (var node in _cluster.FindLost(lease))
                {
                    if (announced.TryGetValue(node, out var at) && _time.GetElapsedTime(at) < lostAfter) continue;
                    announced[node] = _time.GetTimestamp();
                    _control.Writer.TryWrite(new WorkItem(null, null, Op.Call, default, null) { Call = () => LogNodeLost(node) });
                }
            }
            catch (ClusterFencedException ex)
            {
                Fence(ex.Message);
                return;
            }
            catch (StoreException ex)
            {
                LogFailed(LogPart.Lease, ex);
                upSince = _time.GetTimestamp();
            }
        }
    }

    private int _fenced;
    private int _clusterNodes = 1; // the lease thread writes it at each beat

    /// <summary>
    /// The nodes of the cluster, this one included (1 when alone): those not counted gone as of the last lease beat,
    /// or, when more, those this node knows from the log (a node that joined since the beat and already logged).
    /// </summary>
    public int ServerCount => Math.Max(Volatile.Read(ref _clusterNodes), Volatile.Read(ref _nodesInLog));

    private void Fence(string why)
    {
        if (Interlocked.Exchange(ref _fenced, 1) != 0) return;
        Log.FencedOff(_logger, why);
        ThreadPool.QueueUserWorkItem(_ => Fenced?.Invoke(why));
    }

    /// <summary>True once the cluster has counted this node as gone.</summary>
    public bool IsFenced => Volatile.Read(ref _fenced) != 0;

    // ---- Health: which parts of the log failed --------------------------------------------------------------

    [Flags]
    private enum LogPart { Append = 1, Read = 2, Materialize = 4, Lease = 8 }

    private int _logFailing;

    private void LogFailed(LogPart part, Exception ex)
    {
        StoreProblem = ex.Message;
        Metrics.CommitFailed();
        int old, now;
        do { old = Volatile.Read(ref _logFailing); now = old | (int)part; }
        while (Interlocked.CompareExchange(ref _logFailing, now, old) != old);
        if (old == 0) { Volatile.Write(ref _storeFailing, 1); Log.StoreFailed(_logger, ex.Message); }
    }

    private void LogWorks(LogPart part)
    {
        if ((Volatile.Read(ref _logFailing) & (int)part) == 0) return;
        int old, now;
        do { old = Volatile.Read(ref _logFailing); now = old & ~(int)part; }
        while (Interlocked.CompareExchange(ref _logFailing, now, old) != old);
        if (now == 0 && old != 0) { Volatile.Write(ref _storeFailing, 0); Log.StoreRecovered(_logger); }
    }

    private void StopCluster()
    {
        _clusterStop.Cancel();
        foreach (var t in new[] { _appender, _reader, _beater }) t?.Join(TimeSpan.FromSeconds(5));
        try
        {
            if (_fenced == 0) _cluster?.Leave();
        }
        catch (StoreException)
        {
            // Unreachable: the others count this node lost when its lease runs out.
        }
    }
}
