using System.Collections.Concurrent;
using Grove.Core.Accounts;
using Grove.Core.People;
using Grove.Core.Rooms;

namespace Grove.Core.State;

/// <summary>
/// Everything the chat remembers between commands: who is online under which name, the rooms, accounts and their
/// tokens, server bans, lockdown, who was here, and who watches whom. Only the handlers change it, and only on the
/// command loop; the people's own facts (rooms, modes, away text) live on their <see cref="Session"/>.
/// </summary>
internal sealed class ChatState
{
    public readonly Dictionary<string, Session> ByName = new(StringComparer.Ordinal);
    public readonly Dictionary<string, Room> Rooms = new(StringComparer.Ordinal);

    /// <summary>The rooms again, readable from any thread (a door looks a room up by name without a query).</summary>
    public readonly ConcurrentDictionary<string, Room> RoomView = new(StringComparer.Ordinal);

    /// <summary>Written on the command loop; read from any thread (a door asks whether a name is registered).</summary>
    public readonly ConcurrentDictionary<string, StoredAccount> Accounts = new(StringComparer.Ordinal);

    public readonly Dictionary<string, StoredToken> Tokens = new(StringComparer.Ordinal);
    public readonly List<string> ServerBans = new();
    public readonly LinkedList<WhoWasEntry> WhoWas = new();

    /// <summary>MONITOR: the people watching each folded name.</summary>
    public readonly Dictionary<string, HashSet<Session>> Watchers = new(StringComparer.Ordinal);

    public readonly LoginThrottle Throttle;

    /// <summary>Read from any thread (the web door's login page says so).</summary>
    public volatile bool Lockdown;

    /// <summary>The newest message id given out.</summary>
    public long LastId;

    public ChatState(ChatOptions options)
    {
        Throttle = new LoginThrottle
        {
            MaxPerAccount = options.MaxLoginFailuresPerAccount,
            MaxPerAddress = options.MaxLoginFailuresPerAddress,
            Window = options.LoginWindow,
        };
        Lockdown = options.Lockdown;
    }
}

/// <summary>Someone who had a name, for IRC's WHOWAS.</summary>
public sealed record WhoWasEntry(string Name, string User, string Host, string RealName, DateTimeOffset Left);
