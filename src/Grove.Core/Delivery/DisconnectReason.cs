namespace Grove.Core.Delivery;

/// <summary>Why a connection ended. Logged with every close and counted.</summary>
public enum DisconnectReason
{
    /// <summary>The person asked to leave (/quit and its aliases).</summary>
    Quit,
    /// <summary>The peer closed or reset the connection, or it broke.</summary>
    ConnectionLost,
    /// <summary>Its outbound queue passed the hard limit: it does not read what it is sent.</summary>
    SendQueueExceeded,
    /// <summary>The server is stopping.</summary>
    ServerShutdown,
    /// <summary>A server operator disconnected the person.</summary>
    Killed,
    /// <summary>The connection stopped answering (no data and no PONG within the ping timeout).</summary>
    PingTimeout,
    /// <summary>The connection never chose a name within the registration timeout.</summary>
    RegistrationTimeout,
    /// <summary>It sent nothing for the idle timeout.</summary>
    IdleTimeout,
    /// <summary>It kept sending faster than flood control allows.</summary>
    ExcessFlood,
    /// <summary>An unexpected fault in this connection's handling; only this connection is closed.</summary>
    InternalError,
}

public static class DisconnectReasonText
{
    /// <summary>The words others see in "* alice left (…)".</summary>
    public static string Describe(DisconnectReason reason) => reason switch
    {
        DisconnectReason.Quit => "quit",
        DisconnectReason.ConnectionLost => "connection lost",
        DisconnectReason.SendQueueExceeded => "send queue exceeded",
        DisconnectReason.ServerShutdown => "server shutting down",
        DisconnectReason.Killed => "killed",
        DisconnectReason.PingTimeout => "ping timeout",
        DisconnectReason.RegistrationTimeout => "registration timeout",
        DisconnectReason.ExcessFlood => "excess flood",
        DisconnectReason.IdleTimeout => "idle timeout",
        _ => "internal error",
    };
}
