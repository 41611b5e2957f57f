using Grove.Core.Delivery;
using Grove.Core.Events;
using Grove.Core.Rooms;

namespace Grove.Core.People;

public enum DoorKind { Plain, Irc, Web }

public enum SessionState { Unregistered, Registered, Closed }

/// <summary>What the core may ask of the connection behind a session. Implemented by each door.</summary>
public interface IConnectionControl
{
    /// <summary>
    /// Stop reading and close the connection. When <paramref name="graceful"/> the door first lets the writer loop send
    /// what is queued (the outbox has been completed); otherwise it aborts at once.
    /// </summary>
    void Close(bool graceful);
}

/// <summary>Who did something: name, IRC user and cloaked host.</summary>
public sealed record Origin(string Name, string User, string Host, string? Account = null)
{
    public override string ToString() => $"{Name}!{User}@{Host}";
}

/// <summary>
/// A connected person, whatever the door. Threading: <see cref="Name"/>, <see cref="State"/> and room membership are
/// changed only by the core's command loop; other threads may read them (they are published with volatile writes).
/// </summary>
public sealed class Session
{
    private static long s_nextId;
    private int _closed;
    private volatile string? _name;
    private volatile SessionState _state;

    internal Session(DoorKind door, string remoteAddress, IEventRenderer renderer, IConnectionControl control, long outboxBytes, DoorPolicy? policy = null)
    {
        Id = Interlocked.Increment(ref s_nextId);
        Door = door;
        Policy = policy ?? DoorPolicy.ManyRooms(door);
        RemoteAddress = remoteAddress;
        Renderer = renderer;
        Control = control;
        Outbox = new Outbox(outboxBytes);
        EncodingKey = renderer.EncodingKey(this);
    }

    /// <summary>
    /// <see cref="IEventRenderer.EncodingKey"/> for this recipient, kept here so delivery does not ask the renderer
    /// once per message. A door whose rendering settings change (IRC capabilities) sets it again.
    /// </summary>
    /// <summary>
    /// In a cluster, a connection on another node: kept in this node's state (names, rooms, modes) as every node keeps
    /// everyone, never sent to (its own node does that).
    /// </summary>
    internal Session(DoorKind door, string remoteAddress, DoorPolicy policy, int node, long originId, string nodeName)
        : this(door, remoteAddress, RemoteRenderer.Instance, RemoteRenderer.Instance, 0, policy)
    {
        IsRemote = true;
        OriginKey = (node, originId);
        NodeName = nodeName;
    }

    /// <summary>A connection on another node of the cluster (see the constructor above).</summary>
    public bool IsRemote { get; }

    /// <summary>In a cluster: the node the connection is on and its id there (this node's own: node 0).</summary>
    internal (int Node, long Id) OriginKey { get; }

    /// <summary>In a cluster: the name of the node the connection is on; null on a server alone.</summary>
    public string? NodeName { get; internal set; }

    public int EncodingKey { get; set; }

    public long Id { get; }
    public DoorKind Door { get; }
    public string RemoteAddress { get; }
    public IEventRenderer Renderer { get; }
    public Outbox Outbox { get; }
    internal IConnectionControl Control { get; }

    /// <summary>Segments of the current delivery round not yet handed to the outbox. Delivery loop only.</summary>
    internal List<ReadOnlyMemory<byte>>? Staged;
    internal long StagedBytes;
    /// <summary>Counted in the registered connections of its door (command loop only).</summary>
    internal bool CountedRegistered;

    /// <summary>In a cluster: the connection is known to the log (command loop only).</summary>
    internal bool ConnectLogged;
    /// <summary>Wall time of the connection, for people to read (WHOIS sign-on). Never for a duration.</summary>
    public DateTimeOffset ConnectedAt { get; internal set; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// The server's monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>) when the connection came, for the
    /// registration timeout: a wall clock set back would keep a nameless connection open.
    /// </summary>
    public long ConnectedTimestamp { get; internal set; } = TimeProvider.System.GetTimestamp();

    private long _lastInputTicks = Environment.TickCount64;

    /// <summary>When the connection last sent anything (Environment.TickCount64), for the idle timeout.</summary>
    public long LastInputTicks => Volatile.Read(ref _lastInputTicks);

    /// <summary>The door calls this for every line or message it reads.</summary>
    public void Touch() => Volatile.Write(ref _lastInputTicks, Environment.TickCount64);

    /// <summary>As <see cref="Touch"/>, at a given time (replaying commands in tests).</summary>
    internal void TouchAt(long ticks) => Volatile.Write(ref _lastInputTicks, ticks);

    public string? Name { get => _name; internal set => _name = value; }
    public SessionState State { get => _state; internal set => _state = value; }

    /// <summary>The door's rules for this person (one room or many, joining the default room, the host shown).</summary>
    public DoorPolicy Policy { get; }

    /// <summary>In one room at a time (the plain door); other doors may be in many.</summary>
    public bool SingleRoom => Policy.SingleRoom;

    /// <summary>Whether choosing a name also joins the default room (plain and web: yes; IRC clients join themselves).</summary>
    public bool AutoJoinDefaultRoom => Policy.AutoJoinDefaultRoom;

    /// <summary>The IRC "user" part of the person's address (from USER; the name on other doors).</summary>
    public string? UserName { get; set; }

    /// <summary>The IRC "real name" (from USER); empty on other doors.</summary>
    public string RealName { get; set; } = "";

    /// <summary>
    /// The host part shown to other people. Never the IP address: a cloak naming the door ("irc.grove").
    /// </summary>
    public string Host => Policy.Host;

    /// <summary>Set while the person is away, with their message. Core loop only.</summary>
    public string? AwayMessage { get; internal set; }

    /// <summary>The account this connection is logged in to (its name as registered), or null for a guest.</summary>
    public string? Account { get => _account; internal set => _account = value; }
    private volatile string? _account;

    /// <summary>The folded account name, or null for a guest.</summary>
    public string? AccountKey => _account is { } a ? Names.NameRules.Fold(a) : null;

    /// <summary>
    /// Who owns the private messages this connection sends or receives now: its account ("a:" and the folded name),
    /// or, for a guest, this connection alone ("g:" and a random token), never the name, which someone else may take later.
    /// </summary>
    public string HistoryOwner => AccountKey is { } a ? "a:" + a : GuestOwner;

    /// <summary>Every owner whose private messages this connection may read: its account's, and its own as a guest.</summary>
    public IReadOnlyList<string> HistoryOwners => AccountKey is { } a ? ["a:" + a, GuestOwner] : [GuestOwner];

    // Made on first use (most connections never send a private message); the first one made is kept by every thread.
    private string GuestOwner
    {
        get
        {
            if (_guestOwner is { } g) return g;
            var made = "g:" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            return Interlocked.CompareExchange(ref _guestOwner, made, null) ?? made;
        }
    }
    private string? _guestOwner;

    /// <summary>A guest owner given rather than drawn (the token is the connection's, like its address; replay tests).</summary>
    internal void SetGuestOwner(string owner) => _guestOwner = owner;

    /// <summary>The owner key of the person's guest-era private history (made now if it was not yet).</summary>
    internal string GuestOwnerKey => GuestOwner;

    /// <summary>
    /// Every connection of one account that shares this name, this one included (one account, many connections),
    /// or null when this is the only one. The same list object for all of them. Core loop only.
    /// </summary>
    internal List<Session>? Group { get; set; }

    /// <summary>
    /// True for a connection that joined the name of its account's connection already online: counts of people skip it.
    /// Set on the command loop; any thread may read it.
    /// </summary>
    public bool IsExtraConnection { get => _extra; internal set => _extra = value; }
    private volatile bool _extra;

    /// <summary>The IP address without the port, for limits and the operator's eyes only (never shown to users).</summary>
    public string RemoteIp
    {
        get
        {
            var a = RemoteAddress;
            if (a.StartsWith('[') && a.IndexOf(']') is > 0 and var close) return a[1..close];
            var colon = a.LastIndexOf(':');
            return colon > 0 && a.IndexOf(':') == colon ? a[..colon] : a;
        }
    }

    /// <summary>A server operator (IRC OPER). Core loop only.</summary>
    public bool IsOperator { get; internal set; }

    /// <summary>IRC user mode +i: hidden from WHO and NAMES for those who share no room with the person. Core loop only.</summary>
    public bool Invisible { get; internal set; }

    /// <summary>IRC user mode +B: marked as a bot. Core loop only.</summary>
    public bool IsBot { get; internal set; }

    /// <summary>Names this person watches (MONITOR), folded. Core loop only.</summary>
    internal HashSet<string> Watching => _watching ??= new(StringComparer.Ordinal);
    private HashSet<string>? _watching;

    /// <summary>True when the person watches anyone (without making the set).</summary>
    internal bool WatchesAnyone => _watching is { Count: > 0 };

    /// <summary>IRC user mode +w: receives WALLOPS. Core loop only.</summary>
    public bool WantsWallops { get; internal set; }

    /// <summary>Who the person is, as events carry it.</summary>
    public Origin Origin => new(Name ?? "*", UserName ?? Name ?? "*", Host, Account);

    /// <summary>The room a plain-door message goes to. Core loop only.</summary>
    public Room? CurrentRoom { get; internal set; }

    /// <summary>Every room this person is in. Core loop only.</summary>
    internal List<Room> Rooms { get; } = new(); // no array until the first join

    /// <summary>History paging positions per room or conversation. Core loop only.</summary>
    internal Dictionary<string, object>? HistoryCursors { get; set; }

    /// <summary>Door-specific state (IRC capabilities, web client options).</summary>
    public object? DoorState { get; set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;
    public DisconnectReason? CloseReason { get; private set; }

    /// <summary>Marks the session closed once; true for the one caller that did it.</summary>
    internal bool TryMarkClosed(DisconnectReason reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return false;
        CloseReason = reason;
        return true;
    }

    public override string ToString() => $"#{Id} {Name ?? "(no name)"} {Door} {RemoteAddress}";
}

/// <summary>What a connection on another node is rendered with: nothing (its own node sends to it).</summary>
internal sealed class RemoteRenderer : IEventRenderer, IConnectionControl
{
    public static readonly RemoteRenderer Instance = new();
    public int EncodingKey(Session recipient) => 0;
    public ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient) => ReadOnlyMemory<byte>.Empty;
    public void Close(bool graceful) { }
}
