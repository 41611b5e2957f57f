namespace Grove.Client;

public sealed class ClientOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 6969;
    public string? Name { get; set; }
    public bool Reconnect { get; set; } = true;
    /// <summary>How long to keep trying to reconnect after the connection is lost.</summary>
    public TimeSpan ReconnectFor { get; set; } = TimeSpan.FromSeconds(30);
    public string Address => $"{Host}:{Port}";
}

/// <summary>Exit codes of `grove connect`.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int ConnectionLost = 1;
    public const int Unreachable = 2;
    public const int NoName = 3;
}
