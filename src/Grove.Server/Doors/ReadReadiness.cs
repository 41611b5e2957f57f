using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Grove.Server.Doors;

/// <summary>
/// Tells the socket transport when a connection has something to read, with one epoll instance and one thread for the
/// whole process (Linux on x64). A connection is registered once with EPOLLONESHOT and armed again after each read, so
/// an idle connection costs a slot in a table here and nothing else: no pending receive, no async state. Elsewhere
/// <see cref="Shared"/> is null and the transport waits with zero-byte receives instead.
/// </summary>
internal sealed partial class ReadReadiness
{
    private const uint EpollIn = 0x001, EpollRdHup = 0x2000, EpollOneShot = 1u << 30;
    private const int CtlAdd = 1, CtlMod = 3, CloExec = 0x80000, EIntr = 4;
    private const uint Interest = EpollIn | EpollRdHup | EpollOneShot;

    // struct epoll_event is packed on x86-64: 4 bytes of events, then 8 of data.
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, ref EpollEvent ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, [Out] EpollEvent[] events, int maxEvents, int timeout);

    private static readonly Lazy<ReadReadiness?> s_shared = new(Create);

    /// <summary>The process's one instance, or null where epoll is not used.</summary>
    public static ReadReadiness? Shared => s_shared.Value;

    private readonly int _epoll;
    private readonly Lock _grow = new();
    private volatile SocketLineTransport?[] _byFd = new SocketLineTransport?[4096];
    private int _nextGeneration;

    [ThreadStatic] private static bool t_isEpollThread;
    private int _handling;

    /// <summary>
    /// True while the epoll thread is handling the sockets one wait returned (reading them, framing and submitting
    /// their lines): more commands may then be a few microseconds away (see ChatServer.InputArriving).
    /// </summary>
    public bool Handling => Volatile.Read(ref _handling) != 0;

    /// <summary>True on the epoll thread (where connections' reads start; see SocketLineTransport.Readable).</summary>
    public static bool OnItsThread => t_isEpollThread;

    private ReadReadiness(int epoll)
    {
        _epoll = epoll;
        new Thread(Run) { IsBackground = true, Name = "grove-epoll" }.Start();
    }

    private static ReadReadiness? Create()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        if (Environment.GetEnvironmentVariable("GROVE_NO_EPOLL") == "1") return null;
        try
        {
            var epoll = epoll_create1(CloExec);
            return epoll < 0 ? null : new ReadReadiness(epoll);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Registers a connection's socket, armed; its descriptor, or -1 when the socket is already closed or the kernel
    /// refuses (the caller then waits another way).
    /// </summary>
    public int Add(SocketLineTransport connection, SafeSocketHandle socket)
    {
        if (!RawSocket.TryHold(socket, out var fd)) return -1;
        try
        {
            lock (_grow)
            {
                if (fd >= _byFd.Length)
                {
                    var larger = new SocketLineTransport?[Math.Max(fd + 1, _byFd.Length * 2)];
                    Array.Copy(_byFd, larger, _byFd.Length);
                    _byFd = larger;
                }
                connection.Generation = (uint)Interlocked.Increment(ref _nextGeneration);
                _byFd[fd] = connection;
            }
            var ev = new EpollEvent { Events = Interest, Data = Key(fd, connection.Generation) };
            if (epoll_ctl(_epoll, CtlAdd, fd, ref ev) == 0) return fd;
            Remove(connection, fd);
            return -1;
        }
        finally
        {
            RawSocket.Release(socket);
        }
    }

    /// <summary>Arms the socket again after a read. False when the socket is gone.</summary>
    public bool Rearm(SocketLineTransport connection, SafeSocketHandle socket)
    {
        if (!RawSocket.TryHold(socket, out var fd)) return false;
        try
        {
            var ev = new EpollEvent { Events = Interest, Data = Key(fd, connection.Generation) };
            return epoll_ctl(_epoll, CtlMod, fd, ref ev) == 0;
        }
        finally
        {
            RawSocket.Release(socket);
        }
    }

    /// <summary>Forgets a connection (before its socket is closed, so the number can be reused).</summary>
    public void Remove(SocketLineTransport connection, int fd)
    {
        lock (_grow)
            if (fd < _byFd.Length && ReferenceEquals(_byFd[fd], connection)) _byFd[fd] = null;
    }

    private static ulong Key(int fd, uint generation) => (ulong)generation << 32 | (uint)fd;

    private void Run()
    {
        t_isEpollThread = true;
        var events = new EpollEvent[256];
        while (true)
        {
            var n = epoll_wait(_epoll, events, events.Length, -1);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr) continue;
                return; // the epoll instance is unusable; connections already registered are closed by their timeouts
            }
            var table = _byFd;
            Volatile.Write(ref _handling, 1);
            for (var i = 0; i < n; i++)
            {
                var fd = (int)(uint)events[i].Data;
                var generation = (uint)(events[i].Data >> 32);
                // A socket closed and its number reused since the event was queued: the generation tells them apart.
                if (fd < table.Length && table[fd] is { } connection && connection.Generation == generation)
                    connection.Readable();
            }
            Volatile.Write(ref _handling, 0);
        }
    }
}
