using System.Buffers;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Grove.Server.Doors.Web;

/// <summary>
/// wss:// on the HTTPS port: after Kestrel's TLS, a connection whose request is a WebSocket upgrade (GET /ws) runs the
/// web door's own handshake and framing over the decrypted stream (<see cref="KestrelLineTransport"/>), like the TLS
/// line doors; any other request goes on to Kestrel's HTTP. The first bytes are looked at without being consumed.
/// </summary>
public static class WebSocketOverTls
{
    public static void Use(ListenOptions listen) => listen.Use(next => async (Microsoft.AspNetCore.Connections.ConnectionContext connection) =>
    {
        var input = connection.Transport.Input;
        bool? upgrade;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            upgrade = WebHandshake.IsUpgradeRequest(buffer.Slice(0, Math.Min(8, buffer.Length)).ToArray());
            // Nothing consumed; examined up to the end only while undecided, so the next read waits for more.
            input.AdvanceTo(buffer.Start, upgrade is null ? buffer.End : buffer.Start);
            if (upgrade is not null || result.IsCompleted || result.IsCanceled) break;
        }
        if (upgrade == true)
        {
            var door = listen.ApplicationServices.GetRequiredService<WebSocketDoor>();
            await door.TlsDoor.ServeAsync(new KestrelLineTransport(connection));
            return;
        }
        await next(connection);
    });
}
