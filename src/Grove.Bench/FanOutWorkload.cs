using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Text;

namespace Grove.Bench;

public sealed record FanOutOptions(
    IReadOnlyList<IPEndPoint> Nodes, IBenchProtocol Protocol, int Clients, int Senders, TimeSpan Duration,
    int Window, double Rate, int Size, IReadOnlyList<int> ServerPids, string Room, bool QuickAck)
{
    /// <summary>The first node: every sender (and every stuck member) connects to it; the other clients take turns.</summary>
    public IPEndPoint Server => Nodes[0];

    /// <summary>Processes whose CPU counts with the servers' (with their descendants): a cluster's PostgreSQL.</summary>
    public IReadOnlyList<int> PostgresPids { get; init; } = [];

    /// <summary>
    /// Rooms the clients are dealt into (client k into room k mod Rooms), each with its own senders, so the run
    /// measures messages per second into many rooms rather than the fan-out of one.
    /// </summary>
    public int Rooms { get; init; } = 1;

    /// <summary>Extra members that join and then never read (tiny receive buffers): slow consumers.</summary>
    public int Stuck { get; init; }

    /// <summary>
    /// A second room, <c>Room-control</c>, with the same members and senders but without the stuck members: every
    /// sender alternates between the two rooms, so whatever the machine does during the run falls on both alike, and
    /// the two rooms' latencies compare what the stuck members alone cost.
    /// </summary>
    public bool ControlRoom { get; init; }
}

/// <summary>
/// N clients in one room (or dealt into several), S of them sending. Every message carries its sender, a sequence
/// number and its send time, so each receiver measures latency and counts lost, duplicated and out-of-order
/// deliveries. Either as fast as possible with at most <c>Window</c> messages per sender not yet received by
/// everyone, or at a fixed total rate. With several nodes the senders are on the first and the other clients take
/// turns over all of them, so a delivery to a client on another node is measured apart (cross-node latency).
/// </summary>
public sealed partial class FanOutWorkload(FanOutOptions o)
{
    // Per room ("lane"): the room under test, and with ControlRoom its control beside it. A logical sender is one
    // sender in one lane: number lane * Senders + sender; its messages carry that number.
    private readonly int _lanes = o.ControlRoom ? 2 : 1;
    private LatencyHistogram[] _latency = [], _crossLatency = [];
    private long[] _deliveries = [], _crossDeliveries = [], _lost = [], _duplicates = [];
    private int[][] _next = [];            // per receiver, per logical sender: next expected sequence number
    private int[][] _slotCounts = [];      // per logical sender, per window slot: receivers that have it
    private int[] _receiversOf = [];       // per logical sender: the members of its room but itself
    private SemaphoreSlim[] _windows = [];
    private long[] _sent = [];
    private readonly LatencyHistogram _lateness = new(); // fixed rate: each message's send time against its due time

    /// <summary>The room of client k in the lane under test (the control room has everyone).</summary>
    private int RoomOf(int k) => k % o.Rooms;

    private string RoomName(int room) => o.Rooms == 1 ? o.Room : $"{o.Room}-{room + 1}";

    /// <summary>
    /// The node of client k: senders on the first; the others take turns over the nodes in each room's order of
    /// members, so every room is spread over every node whatever the numbers of rooms and nodes.
    /// </summary>
    private int NodeOf(int k) => k < o.Senders ? 0 : (k - o.Senders) / o.Rooms % o.Nodes.Count;

    public async Task<BenchResult> RunAsync(CancellationToken ct)
    {
        var setupTimeout = TimeSpan.FromSeconds(30);
        var clients = new BenchConnection[o.Clients];
        var connectTimes = new LatencyHistogram();
        try
        {
            // Connect in small parallel waves so registration does not look like an attack; a server that refuses a
            // registration (some throttle bursts of connections) is asked again, a few times, after a pause.
            for (var i = 0; i < o.Clients; i += 20)
            {
                await Task.WhenAll(Enumerable.Range(i, Math.Min(20, o.Clients - i)).Select(async k =>
                {
                    var server = o.Nodes[NodeOf(k)];
                    var source = IPAddress.Parse($"127.0.0.{1 + k % 9}");
                    for (var attempt = 1; ; attempt++)
                    {
                        var started = Stopwatch.GetTimestamp();
                        var c = await BenchConnection.ConnectAsync(server, IPAddress.IsLoopback(server.Address) && server.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? source : null, o.Protocol, k, ct, prefix: "f");
                        c.QuickAck = o.QuickAck;
                        try
                        {
                            await o.Protocol.RegisterAsync(c, setupTimeout);
                            await o.Protocol.JoinAsync(c, RoomName(RoomOf(k)), setupTimeout);
                            if (o.ControlRoom) await o.Protocol.JoinAsync(c, ControlRoomName, setupTimeout);
                        }
                        catch (BenchException) when (attempt < 4)
                        {
                            await c.DisposeAsync();
                            await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), ct);
                            continue;
                        }
                        clients[k] = c;
                        connectTimes.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                        break;
                    }
                }));
            }
            foreach (var c in clients) c.DiscardControlLines();
            var stuck = new List<System.Net.Sockets.Socket>();
            for (var i = 0; i < o.Stuck; i++) stuck.Add(await JoinStuck(i, ct));
            _stuckSockets = stuck;

            var logical = o.Senders * _lanes;
            _receiversOf = Enumerable.Range(0, logical).Select(ls => ls >= o.Senders ? o.Clients - 1
                : Enumerable.Range(0, o.Clients).Count(k => RoomOf(k) == RoomOf(ls)) - 1).ToArray();
            _next = Enumerable.Range(0, o.Clients).Select(_ => new int[logical]).ToArray();
            _slotCounts = Enumerable.Range(0, logical).Select(_ => new int[o.Window]).ToArray();
            _windows = Enumerable.Range(0, logical).Select(_ => new SemaphoreSlim(o.Window, o.Window)).ToArray();
            _sent = new long[logical];
            _latency = Enumerable.Range(0, _lanes).Select(_ => new LatencyHistogram()).ToArray();
            _crossLatency = Enumerable.Range(0, _lanes).Select(_ => new LatencyHistogram()).ToArray();
            (_deliveries, _crossDeliveries, _lost, _duplicates) = (new long[_lanes], new long[_lanes], new long[_lanes], new long[_lanes]);
            foreach (var c in clients) c.OnDelivery = OnDelivery;

            var cpu0 = Cpu();
            var ownCpu0 = ProcStats.OwnCpuSeconds();
            var started = Stopwatch.GetTimestamp();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (o.Rate > 0)
            {
                // The schedule is the run: rate × duration messages, however late a timer would have fired.
                await PacedSendsAsync(clients, stop.Token);
                stop.Cancel();
            }
            else
            {
                stop.CancelAfter(o.Duration);
                await Task.WhenAll(Enumerable.Range(0, o.Senders).Select(s => SendLoop(clients[s], s, stop.Token)));
            }
            var sendElapsed = Stopwatch.GetElapsedTime(started);

            // Let what is in flight arrive (bounded), then count what never did.
            var drainStarted = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(drainStarted) < TimeSpan.FromSeconds(10) && Delivered() < Expected())
                await Task.Delay(20, CancellationToken.None);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var cpu = Cpu();
            var used = new CpuUsed(Minus(cpu.Servers, cpu0.Servers), Minus(cpu.Postgres, cpu0.Postgres), ProcStats.OwnCpuSeconds() - ownCpu0);

            var result = Result(0, sendElapsed, elapsed, connectTimes, used);
            if (o.ControlRoom) result.Control = Result(1, sendElapsed, elapsed, connectTimes, used);
            return result;
        }
        finally
        {
            foreach (var s in _stuckSockets) s.Dispose();
            await Task.WhenAll(clients.Where(c => c is not null).Select(async c =>
            {
                try { await o.Protocol.QuitAsync(c); } catch (Exception) { }
                await c.DisposeAsync();
            }));
        }
    }

    private List<System.Net.Sockets.Socket> _stuckSockets = new();

    private string ControlRoomName => o.Room + "-control";

    private long Delivered()
    {
        long n = 0;
        for (var lane = 0; lane < _lanes; lane++) n += Interlocked.Read(ref _deliveries[lane]);
        return n;
    }

    private long Expected()
    {
        long n = 0;
        for (var ls = 0; ls < _sent.Length; ls++) n += Interlocked.Read(ref _sent[ls]) * _receiversOf[ls];
        return n;
    }

    private (double? Servers, double? Postgres) Cpu() => (ProcStats.TreeCpuSeconds(o.ServerPids), ProcStats.TreeCpuSeconds(o.PostgresPids));

    private static double? Minus(double? after, double? before) => after is { } a && before is { } b ? a - b : null;

    /// <summary>CPU seconds of the run: the servers' (nodes), PostgreSQL's, and the generator's own.</summary>
    private readonly record struct CpuUsed(double? Servers, double? Postgres, double Own);

    /// <summary>
    /// As fast as the window allows: one loop per sending client. With a control room it alternates, each message to
    /// one room and then the other.
    /// </summary>
    private async Task SendLoop(BenchConnection c, int s, CancellationToken stop)
    {
        var pad = Pad;
        var seq = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                for (var turn = 0; turn < _lanes; turn++)
                {
                    var lane = (turn + seq) % _lanes;
                    var ls = lane * o.Senders + s;
                    await _windows[ls].WaitAsync(stop);
                    await c.SendAsync(Message(lane, ls, seq, pad));
                    Interlocked.Increment(ref _sent[ls]);
                }
                seq++;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// At a fixed rate: one thread sends every message at its time, the senders taking turns (message k is sender
    /// k mod S's, due k/rate seconds after the start), so the rate arrives as a steady stream. Timers could not do
    /// this: .NET's fire on a millisecond tick, and senders due a fraction of a millisecond apart fired together
    /// (at 500 messages/s over 10 senders, over half the messages came in pairs). With a control room each message
    /// goes to both rooms back to back, so whatever delays one delays the other alike; the rooms take turns at going
    /// first. A sender that cannot send at once (its window is full, or the server is not reading its socket) queues
    /// its messages behind the one that waits, and the others keep the pace. The run is the schedule: exactly
    /// rate × duration messages (fewer only when stopped), the last one due one interval before the duration ends.
    /// </summary>
    private async Task PacedSendsAsync(BenchConnection[] clients, CancellationToken stop)
    {
        var behind = new Task?[o.Senders];
        await Task.Factory.StartNew(() => Pace(clients, behind, stop), TaskCreationOptions.LongRunning);
        try
        {
            // What still waits to go out (bounded: a server that stopped reading for good would wait forever).
            await Task.WhenAll(behind.OfType<Task>()).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }
    }

    private void Pace(BenchConnection[] clients, Task?[] behind, CancellationToken stop)
    {
        var pad = Pad;
        var started = Stopwatch.GetTimestamp();
        var ticksPerMessage = Stopwatch.Frequency / o.Rate;
        var total = (long)Math.Round(o.Rate * o.Duration.TotalSeconds);
        for (long k = 0; k < total && !stop.IsCancellationRequested; k++)
        {
            var s = (int)(k % o.Senders);
            var seq = (int)(k / o.Senders);
            var due = started + (long)(k * ticksPerMessage);
            Pacing.SleepUntil(due);
            _lateness.Record((long)Stopwatch.GetElapsedTime(due).TotalMicroseconds);
            for (var turn = 0; turn < _lanes; turn++)
            {
                var lane = (turn + seq) % _lanes;
                var ls = lane * o.Senders + s;
                if (behind[s] is { IsCompleted: false } || !_windows[ls].Wait(0))
                {
                    behind[s] = SendLaterAsync(behind[s], clients[s], lane, ls, seq, pad, stop);
                    continue;
                }
                var send = clients[s].SendAsync(Message(lane, ls, seq, pad));
                if (send.IsCompletedSuccessfully) Interlocked.Increment(ref _sent[ls]);
                else behind[s] = CountWhenSentAsync(send, ls);
            }
        }
        // The last message's interval belongs to the run too, so the rate it reports is the rate asked for.
        if (!stop.IsCancellationRequested) Pacing.SleepUntil(started + (long)(total * ticksPerMessage));
    }

    private async Task SendLaterAsync(Task? after, BenchConnection c, int lane, int ls, int seq, string pad, CancellationToken stop)
    {
        if (after is not null) await after;
        await _windows[ls].WaitAsync(stop);
        await c.SendAsync(Message(lane, ls, seq, pad));
        Interlocked.Increment(ref _sent[ls]);
    }

    private async Task CountWhenSentAsync(ValueTask send, int ls)
    {
        await send;
        Interlocked.Increment(ref _sent[ls]);
    }

    private string Pad => o.Size > 40 ? new string('x', o.Size - 40) : "";

    private ReadOnlyMemory<byte> Message(int lane, int ls, int seq, string pad) =>
        o.Protocol.Message(lane == 0 ? RoomName(RoomOf(ls)) : ControlRoomName, $"~{ls} {seq} {Stopwatch.GetTimestamp()} {pad}");

    private void OnDelivery(BenchConnection receiver, ReadOnlySpan<byte> payload)
    {
        // "~S SEQ TICKS pad"
        payload = payload[1..];
        if (!Utf8Parser.TryParse(payload, out int s, out var used)) return;
        payload = payload[(used + 1)..];
        if (!Utf8Parser.TryParse(payload, out int seq, out used)) return;
        payload = payload[(used + 1)..];
        if (!Utf8Parser.TryParse(payload, out long ticks, out _)) return;
        if ((uint)s >= (uint)_next[receiver.Index].Length || s % o.Senders == receiver.Index) return; // an echo of one's own message is not a delivery

        var lane = s / o.Senders;
        var micros = (long)Stopwatch.GetElapsedTime(ticks).TotalMicroseconds;
        _latency[lane].Record(micros);
        Interlocked.Increment(ref _deliveries[lane]);
        if (NodeOf(receiver.Index) != NodeOf(s % o.Senders))
        {
            _crossLatency[lane].Record(micros);
            Interlocked.Increment(ref _crossDeliveries[lane]);
        }
        // Each receiver's read loop is the only writer of its own row.
        var next = _next[receiver.Index];
        if (seq == next[s]) next[s] = seq + 1;
        else if (seq > next[s]) { Interlocked.Add(ref _lost[lane], seq - next[s]); next[s] = seq + 1; }
        else { Interlocked.Increment(ref _duplicates[lane]); return; }

        var slot = seq % o.Window;
        if (Interlocked.Increment(ref _slotCounts[s][slot]) == _receiversOf[s])
        {
            _slotCounts[s][slot] = 0;
            _windows[s].Release();
        }
    }
}
