using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Grove.Server.Doors;

/// <summary>
/// Non-blocking receive and send on a socket without switching the .NET socket to non-blocking mode (which gives it
/// its asynchronous-operation state, about 150 bytes per connection): each call asks for MSG_DONTWAIT itself. Used by
/// the socket transport together with <see cref="ReadReadiness"/> (Linux).
/// </summary>
internal static partial class RawSocket
{
    private const int MsgDontWait = 0x40, MsgNoSignal = 0x4000;
    private const int EIntr = 4, EAgain = 11, EPipe = 32, EConnReset = 104, ENotConn = 107, EBadF = 9;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, ref byte buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, ref byte buffer, nint length, int flags);

    /// <summary>Like <see cref="Socket.Receive(byte[], int, int, SocketFlags, out SocketError)"/> on a non-blocking socket.</summary>
    public static int Receive(SafeSocketHandle handle, Span<byte> buffer, out SocketError error) =>
        Call(handle, buffer, receive: true, out error);

    /// <summary>Like <see cref="Socket.Send(byte[], int, int, SocketFlags, out SocketError)"/> on a non-blocking socket.</summary>
    public static int Send(SafeSocketHandle handle, ReadOnlySpan<byte> buffer, out SocketError error) =>
        Call(handle, MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(buffer), buffer.Length), receive: false, out error);

    /// <summary>
    /// Holds the socket's descriptor open until <see cref="Release"/> (a concurrent close waits), so its number cannot
    /// belong to another socket meanwhile. False, and nothing to release, when the socket is already closed.
    /// </summary>
    public static bool TryHold(SafeSocketHandle handle, out int fd)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
        }
        fd = added ? (int)handle.DangerousGetHandle() : -1;
        return added;
    }

    public static void Release(SafeSocketHandle handle) => handle.DangerousRelease();

    private static int Call(SafeSocketHandle handle, Span<byte> buffer, bool receive, out SocketError error)
    {
        if (!TryHold(handle, out var fd))
        {
            error = SocketError.OperationAborted;
            return 0;
        }
        try
        {
            while (true)
            {
                var n = receive
                    ? recv(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, MsgDontWait)
                    : send(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, MsgDontWait | MsgNoSignal);
                if (n >= 0)
                {
                    error = SocketError.Success;
                    return (int)n;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EIntr) continue;
                error = errno switch
                {
                    EAgain => SocketError.WouldBlock,
                    EConnReset => SocketError.ConnectionReset,
                    EPipe => SocketError.Shutdown,
                    ENotConn => SocketError.NotConnected,
                    EBadF => SocketError.OperationAborted,
                    _ => SocketError.SocketError,
                };
                return 0;
            }
        }
        finally
        {
            Release(handle);
        }
    }
}
