namespace Grove.Client;

public sealed class ClientOptions
{
    /// <summary>
    /// The plain doors to use, in order (nodes of one cluster, say): the first that answers, and after a lost
    /// connection the next one first.
    /// </summary>
    public IReadOnlyList<ServerAddress> Servers { get; set; } = [ServerAddress.Default];
    public string? Name { get; set; }
    public bool Reconnect { get; set; } = true;
    /// <summary>
    /// Whether a refused name that the person did not type (--name, or the name of the last connection) is asked
    /// for again. Off in line mode, where the next input line is a message: the client exits 3 instead.
    /// </summary>
    public bool AskAgainForRefusedName { get; set; } = true;
    /// <summary>How long to keep trying to reconnect after the connection is lost.</summary>
    public TimeSpan ReconnectFor { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Exit codes of `grove connect`.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int ConnectionLost = 1;
    public const int Unreachable = 2;
    public const int NoName = 3;
}
