using System.Net.Sockets;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Plain;

public sealed class SlowConsumerIntegrationTests
{
    [Fact]
    public async Task A_client_that_never_reads_is_cut_off_while_the_room_carries_on()
    {
        // "A recipient whose queue overflows is disconnected as a slow consumer and the room carries on."
        await using var server = await TestServer.StartAsync();
        await using var sender = await server.JoinAsync("sender");
        await using var reader = await server.JoinAsync("reader");

        // The sleeper registers and then never reads again; its receive buffer is tiny.
        using var sleeper = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        await sleeper.ConnectAsync(server.Plain);
        await sleeper.SendAsync("sleeper\n"u8.ToArray());
        await reader.ExpectAsync("^\\* sleeper joined");

        // The sender is fast but keeps at most a window of messages in flight, as a real client (or `grove bench`)
        // does; without a window any sender outruns any reader, which flood control handles, not this limit.
        var line = new string('x', 1000);
        const int count = 10_000, window = 200; // 10 MB into the room: past the sleeper's 1 MiB outbox and what the kernel buffers
        var received = 0;
        var sawCutOff = false;
        for (var sent = 0; sent < count;)
        {
            var burstEnd = Math.Min(count, received + window);
            var burst = new System.Text.StringBuilder();
            for (; sent < burstEnd; sent++) burst.Append($"{sent} {line}\n");
            await sender.SendRawAsync(System.Text.Encoding.UTF8.GetBytes(burst.ToString()));
            while (received < sent - window / 2)
            {
                var l = await reader.NextLineAsync(TimeSpan.FromSeconds(30));
                if (l.StartsWith("sender: ", StringComparison.Ordinal))
                {
                    Assert.StartsWith($"sender: {received} ", l);
                    received++;
                }
                else if (l == "* sleeper left (send queue exceeded)") sawCutOff = true;
            }
        }
        while (received < count)
        {
            var l = await reader.NextLineAsync(TimeSpan.FromSeconds(30));
            if (l.StartsWith("sender: ", StringComparison.Ordinal)) Assert.StartsWith($"sender: {received++} ", l);
            else if (l == "* sleeper left (send queue exceeded)") sawCutOff = true;
        }
        if (!sawCutOff) await reader.ExpectAsync("^\\* sleeper left \\(send queue exceeded\\)$");
        Assert.Equal(1, server.Host.Chat.Metrics.SlowConsumerDisconnects);
        Assert.Contains("send queue exceeded", await File.ReadAllTextAsync(server.LogFile));
    }
}
