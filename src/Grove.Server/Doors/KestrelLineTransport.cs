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

    public override Task StartWriter(Session session) => PipeWriterLoop.RunAsync(session.Outbox, connection.Transport.Output);

    public override async Task ReadLinesAsync(LineFramer framer, Session session, ILineHandler handler)
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
                    var frame = framer.TryReadLine(ref buffer, out var line);
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
