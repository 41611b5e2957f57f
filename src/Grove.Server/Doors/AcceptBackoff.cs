namespace Grove.Server.Doors;

/// <summary>
/// What an accept loop does when accepting fails for want of resources (out of file descriptors, buffers): wait,
/// longer each time up to <see cref="MaxDelay"/>, and say so in the log once per <see cref="LogInterval"/> with how
/// many attempts failed, instead of retrying at once and logging every failure. One accept loop at a time.
/// </summary>
public sealed class AcceptBackoff(TimeProvider time)
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private TimeSpan _delay;
    private long _loggedAt;
    private bool _everLogged;
    private int _unreported;

    /// <summary>
    /// An accept failed: how long to wait before the next, and, when a log line is due, how many failures it reports
    /// (those since the last line); 0 when no line is due.
    /// </summary>
    public TimeSpan Failed(out int report)
    {
        _delay = _delay == TimeSpan.Zero ? FirstDelay : TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, MaxDelay.Ticks));
        _unreported++;
        report = 0;
        if (!_everLogged || time.GetElapsedTime(_loggedAt) >= LogInterval)
        {
            report = _unreported;
            _unreported = 0;
            _loggedAt = time.GetTimestamp();
            _everLogged = true;
        }
        return _delay;
    }

    /// <summary>
    /// An accept succeeded: the next failure waits briefly again. The log interval is not reset, so a limit that
    /// lets one connection in now and then still gives one line per interval.
    /// </summary>
    public void Succeeded() => _delay = TimeSpan.Zero;
}
