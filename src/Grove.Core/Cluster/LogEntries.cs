using Grove.Core.Commands;
using Grove.Core.Delivery;
using Grove.Core.People;
using Grove.Core.Pipeline;

namespace Grove.Core.Cluster;

/// <summary>What one entry of the command log does when a node applies it.</summary>
internal enum EntryOp : byte
{
    Connect,     // a connection came: its door, address and door policy
    Command,     // one command
    Unit,        // one client line's commands (its replies and queries are the origin node's own)
    Leave,       // the connection ended
    Kick,        // the connection is closed with a message
    Local,       // a reply or query: only the origin node does anything, in order with the rest
    Account,     // an account step (log in, register, tokens) whose slow part was done on the origin node
    NodeLeaving, // the origin node stops: its people leave
    NodeLost,    // a node stopped renewing its lease: its people leave
}

/// <summary>The header every entry starts with: which of the origin's items and connections, what, and when.</summary>
internal readonly record struct EntryHeader(long Serial, long Session, EntryOp Op, CommandStamp Stamp);

/// <summary>
/// The command log's encoding. A block is entries one after another, each prefixed by its length, so the origin node
/// (which still holds the item it logged) skips the body. Strings are length-prefixed UTF-8 (BinaryWriter).
/// </summary>
internal sealed class EntryWriter
{
    private readonly MemoryStream _buffer = new();
    private readonly BinaryWriter _w;

    public EntryWriter() => _w = new BinaryWriter(_buffer);

    public BinaryWriter Begin(long serial, long session, EntryOp op, CommandStamp stamp)
    {
        _buffer.SetLength(0);
        _w.Write(0); // the length, written by End
        _w.Write(serial);
        _w.Write(session);
        _w.Write((byte)op);
        _w.Write(stamp.Time.UtcTicks);
        _w.Write(stamp.Monotonic.Ticks);
        _w.Write(stamp.InputTicks);
        return _w;
    }

    public byte[] End()
    {
        _w.Flush();
        var bytes = _buffer.ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), bytes.Length - 4);
        return bytes;
    }

    public static void WriteCommand(BinaryWriter w, ChatCommand c)
    {
        w.Write((int)c.Kind);
        WriteText(w, c.Target);
        WriteText(w, c.Text);
        w.Write(c.Count.HasValue);
        if (c.Count is { } n) w.Write(n);
        w.Write(c.Args?.Count ?? -1);
        if (c.Args is { } args) foreach (var a in args) w.Write(a);
        WriteText(w, c.ClientTags);
        w.Write((int)c.MinimumStatus);
    }

    public static void WriteText(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null) w.Write(s);
    }

    public static void WriteConnect(BinaryWriter w, Session s, string guestOwner)
    {
        w.Write((byte)s.Door);
        w.Write(s.RemoteAddress);
        w.Write(s.Policy.SingleRoom);
        w.Write(s.Policy.AutoJoinDefaultRoom);
        w.Write(s.Policy.Host);
        w.Write(s.Policy.NamesInLargeRoom ?? -1);
        w.Write(s.ConnectedAt.UtcTicks);
        w.Write(guestOwner);
        w.Write(s.NodeName ?? "");
    }
}

/// <summary>Reads a block's entries in order.</summary>
internal sealed class EntryReader(byte[] block)
{
    /// <summary>The encoding's version, the first byte of every block: a node meets a newer one by stopping, not by guessing.</summary>
    public const byte Format = 1;

    private readonly BinaryReader _r = new(new MemoryStream(block, writable: false));
    private long _next = 1;

    /// <summary>The block's encoding version (0 for an empty block).</summary>
    public byte Version => block.Length > 0 ? block[0] : (byte)0;

    /// <summary>The next entry's header; the reader is then at its body (read it, or call Next again to skip it).</summary>
    public bool Next(out EntryHeader header)
    {
        var stream = _r.BaseStream;
        stream.Position = _next;
        if (_next >= block.Length) { header = default; return false; }
        var length = _r.ReadInt32();
        _next = stream.Position + length;
        var serial = _r.ReadInt64();
        var session = _r.ReadInt64();
        var op = (EntryOp)_r.ReadByte();
        var stamp = new CommandStamp(new DateTimeOffset(_r.ReadInt64(), TimeSpan.Zero), TimeSpan.FromTicks(_r.ReadInt64()), _r.ReadInt64());
        header = new EntryHeader(serial, session, op, stamp);
        return true;
    }

    public BinaryReader Body => _r;

    public ChatCommand ReadCommand()
    {
        var kind = (CommandKind)_r.ReadInt32();
        var target = ReadText();
        var text = ReadText();
        int? count = _r.ReadBoolean() ? _r.ReadInt32() : null;
        var argCount = _r.ReadInt32();
        string[]? args = null;
        if (argCount >= 0)
        {
            args = new string[argCount];
            for (var i = 0; i < argCount; i++) args[i] = _r.ReadString();
        }
        var tags = ReadText();
        var status = (Rooms.MemberStatus)_r.ReadInt32();
        return new ChatCommand(kind, target, text, count, args) { ClientTags = tags, MinimumStatus = status };
    }

    public string? ReadText() => _r.ReadBoolean() ? _r.ReadString() : null;

    /// <summary>A Connect body: the door, address and policy, when it came, and its guest history owner.</summary>
    public (DoorKind Door, string Remote, DoorPolicy Policy, DateTimeOffset At, string GuestOwner, string NodeName) ReadConnect()
    {
        var door = (DoorKind)_r.ReadByte();
        var remote = _r.ReadString();
        var single = _r.ReadBoolean();
        var autoJoin = _r.ReadBoolean();
        var host = _r.ReadString();
        var names = _r.ReadInt32();
        var at = new DateTimeOffset(_r.ReadInt64(), TimeSpan.Zero);
        var owner = _r.ReadString();
        var node = _r.ReadString();
        return (door, remote, new DoorPolicy(single, autoJoin, host) { NamesInLargeRoom = names < 0 ? null : names }, at, owner, node);
    }

    public DisconnectReason ReadReason() => (DisconnectReason)_r.ReadInt32();
}
