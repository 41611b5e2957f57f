using System.Net.Sockets;
using System.Text;

namespace Grove.Client;

/// <summary>One TCP connection to the plain door, read line by line.</summary>
internal sealed class ServerConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;
    private readonly Stream _stream;

    private ServerConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, new UTF8Encoding(false, false));
    }

    public static async Task<ServerConnection> OpenAsync(ServerAddress address, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // A machine that is off answers nothing: without a bound the next address would wait the kernel's minutes.
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await tcp.ConnectAsync(address.Host, address.Port, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        return new ServerConnection(tcp);
    }

    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        try
        {
            return await _reader.ReadLineAsync(ct);
        }
        catch (IOException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    public async Task SendLineAsync(string line, CancellationToken ct)
    {
        try
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), ct);
        }
        catch (IOException)
        {
            // The read side notices the loss and reports it.
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
