using System.IO.Pipelines;
using Grove.Core.People;
using Grove.Wire;
using Microsoft.AspNetCore.Connections;

namespace Grove.Server.Doors;

/// <summary>
/// A line door's connection through Kestrel, used for the TLS listeners (Kestrel does the TLS): reads from its input
/// pipe, writes through its output pipe.
/// </summary>
public sealed class KestrelLineTransport(ConnectionContext connection) : LineTransport
{
    public override System.Net.EndPoint? RemoteEndPoint => connection.RemoteEndPoint;

    public override async Task RefuseAsync(byte[] line)
    {
        try
        {
            await connection.Transport.Output.WriteAsync(line);
            await connection.Transport.Output.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or InvalidOperationException)
        {
        }
    }

    private Task _writer = Task.CompletedTask;

    public override void StartWriter(Session session) => _writer = PipeWriterLoop.RunAsync(session.Outbox, connection.Transport.Output, this);

    public override Task WriterFinished(Session session) => _writer;

    public override async Task RunAsync(TcpDoor door)
    {
        try
        {
            var session = door.Open(this, out var refused);
            if (session is null)
            {
                await refused;
                return;
            }
            Exception? failure = null;
            try
            {
                var (framer, handler) = door.Lines(this, session);
                await ReadLinesAsync(framer, session, handler);
            }
            catch (Exception ex)
            {
                failure = TcpDoor.Unexpected(ex);
            }
            await door.CloseAsync(this, session, failure);
        }
        finally
        {
            Finished();
        }
    }

    private async Task ReadLinesAsync(IFrameReader framer, Session session, ILineHandler handler)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            try
            {
                while (!session.IsClosed)
                {
                    var frame = framer.TryRead(ref buffer, out var line);
                    if (frame == FrameResult.NeedMore) break;
                    await handler.OnLineAsync(frame, line);
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (result.IsCompleted || result.IsCanceled || session.IsClosed) return;
        }
    }

    public override void Abort() => connection.Abort();

    public override void Close(bool graceful)
    {
        if (graceful) connection.Transport.Input.CancelPendingRead();
        else connection.Abort(new ConnectionAbortedException("closed by the server"));
    }
}
