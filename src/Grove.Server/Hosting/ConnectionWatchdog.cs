using Grove.Core;
using Grove.Core.Delivery;
using Grove.Core.People;
using Grove.Wire;
using Grove.Wire.Irc;

using Grove.Server.Doors.Irc;

namespace Grove.Server.Hosting;

/// <summary>
/// One timer for every connection (not one per connection). On every door, a connection that has not chosen a name
/// within the registration timeout is closed. On the IRC door, a client silent for the ping interval gets a PING, and
/// one that stays silent for the ping timeout after it is closed with "ping timeout" (RFC 2812 section 3.7.2). Every
/// hour, web session tokens past their lifetime are dropped. Every duration here is measured on a monotonic clock
/// (the wall clock may be stepped back, which must not keep a connection open).
/// </summary>
public sealed class ConnectionWatchdog(ChatServer chat, IrcServerInfo info, TimeProvider time) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Start() => _loop = Task.Run(Run);

    private async Task Run()
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, info.Options.PingIntervalSeconds));
        var timeout = TimeSpan.FromSeconds(Math.Max(1, info.Options.PingTimeoutSeconds));
        var registration = TimeSpan.FromSeconds(Math.Max(1, info.Options.RegistrationTimeoutSeconds));
        var idle = TimeSpan.FromSeconds(Math.Max(0, info.Options.IdleTimeoutSeconds));
        var shortest = Math.Min(Math.Min(interval.TotalMilliseconds, timeout.TotalMilliseconds), registration.TotalMilliseconds);
        if (idle > TimeSpan.Zero) shortest = Math.Min(shortest, idle.TotalMilliseconds);
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 100, 5000));
        using var timer = new PeriodicTimer(tick);
        try
        {
            var nextPurge = Environment.TickCount64 + (long)TokenPurgeInterval.TotalMilliseconds;
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = Environment.TickCount64;
                if (now >= nextPurge)
                {
                    nextPurge = now + (long)TokenPurgeInterval.TotalMilliseconds;
                    _ = PurgeTokensAsync();
                }
                foreach (var s in chat.Sessions)
                {
                    if (s.IsClosed) continue;
                    if (s.State == SessionState.Unregistered && time.GetElapsedTime(s.ConnectedTimestamp) > registration)
                    {
                        chat.CloseWithMessage(s, DisconnectReason.RegistrationTimeout, $"No name was chosen within {registration.TotalSeconds:0} seconds.");
                        continue;
                    }
                    if (s.Door != DoorKind.Irc && idle > TimeSpan.Zero && now - s.LastInputTicks > idle.TotalMilliseconds)
                    {
                        chat.CloseWithMessage(s, DisconnectReason.IdleTimeout, $"Closed after {idle.TotalSeconds:0} seconds without input.");
                        continue;
                    }
                    if (s.Door != DoorKind.Irc || s.DoorState is not IrcConnection irc) continue;
                    if (irc.PingSentTicks != 0)
                    {
                        if (now - irc.PingSentTicks > timeout.TotalMilliseconds)
                            chat.CloseWithMessage(s, DisconnectReason.PingTimeout, $"Ping timeout: {timeout.TotalSeconds:0} seconds");
                    }
                    else if (now - irc.LastActivityTicks > interval.TotalMilliseconds)
                    {
                        irc.PingSentTicks = now;
                        s.Outbox.TryEnqueue(TextRules.Utf8.GetBytes(IrcMessage.Format(null, "PING", info.ServerName)));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Web session tokens past their lifetime are dropped this often (and at start).
    private static readonly TimeSpan TokenPurgeInterval = TimeSpan.FromHours(1);

    private async Task PurgeTokensAsync()
    {
        try
        {
            await chat.PurgeExpiredTokensAsync().ConfigureAwait(false);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // The server is stopping.
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
