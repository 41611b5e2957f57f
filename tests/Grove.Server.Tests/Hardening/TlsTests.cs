using System.Net.Http.Json;
using System.Security.Authentication;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Grove.Testing;

namespace Grove.Server.Tests.Hardening;

/// <summary>TLS on the plain and IRC doors and HTTPS/WSS on the web door, with a certificate made at test time.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private TestServer _server = null!;
    private X509Certificate2 _cert = null!;

    public async Task InitializeAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=grove.test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        _cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_folder.Path, "cert.pem");
        var keyPath = Path.Combine(_folder.Path, "key.pem");
        await File.WriteAllTextAsync(certPath, _cert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        _server = await TestServer.StartAsync(o => { o.TlsCert = certPath; o.TlsKey = keyPath; o.TlsPort = 0; o.IrcTlsPort = 0; o.HttpsPort = 0; });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>Trusts exactly the test's certificate.</summary>
    private bool Validate(X509Certificate? cert) => cert is not null && cert.GetCertHashString() == _cert.GetCertHashString();

    private async Task<(SslStream Stream, StreamReader Reader)> OpenTls(System.Net.IPEndPoint ep)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(ep);
        var ssl = new SslStream(tcp.GetStream(), false, (_, cert, _, _) => Validate(cert));
        await ssl.AuthenticateAsClientAsync("localhost");
        return (ssl, new StreamReader(ssl, Encoding.UTF8));
    }

    private static async Task<string> ReadUntil(StreamReader reader, string contains)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new IOException("closed");
            if (line.Contains(contains, StringComparison.Ordinal)) return line;
        }
    }

    [Fact]
    public async Task The_plain_and_irc_doors_speak_tls_and_reach_the_same_rooms()
    {
        await using var nc = await _server.JoinAsync("clear");
        var (plain, plainReader) = await OpenTls(_server.Host.PlainTlsEndPoint!);
        await ReadUntil(plainReader, "What is your name?");
        await plain.WriteAsync("secure\nhello over TLS\n"u8.ToArray());
        await nc.ExpectAsync("^secure: hello over TLS$");
        var (irc, ircReader) = await OpenTls(_server.Host.IrcTlsEndPoint!);
        await irc.WriteAsync("NICK tlsirc\r\nUSER t 0 * :T\r\nJOIN #lobby\r\n"u8.ToArray());
        await ReadUntil(ircReader, " 001 tlsirc ");
        await nc.SendAsync("over the wire");
        await ReadUntil(ircReader, "PRIVMSG #lobby :over the wire");
        Assert.True(plain.SslProtocol is SslProtocols.Tls12 or SslProtocols.Tls13, plain.SslProtocol.ToString());
        await plain.DisposeAsync();
        await irc.DisposeAsync();
    }

    [Fact]
    public async Task The_web_door_serves_https_and_wss()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => Validate(cert) };
        using var http = new HttpClient(handler);
        var port = _server.Host.HttpsEndPoint!.Port;
        var health = await http.GetFromJsonAsync<JsonElement>($"https://127.0.0.1:{port}/healthz");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        using var ws = new ClientWebSocket();
        ws.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => Validate(cert);
        ws.Options.SetRequestHeader("Origin", $"https://127.0.0.1:{port}");
        await ws.ConnectAsync(new Uri($"wss://127.0.0.1:{port}/ws"), default);
        await ws.SendAsync("""{"type":"hello","name":"wss"}"""u8.ToArray(), WebSocketMessageType.Text, true, default);
        var buffer = new byte[4096];
        var r = await ws.ReceiveAsync(buffer, default);
        Assert.Contains("\"welcome\"", Encoding.UTF8.GetString(buffer, 0, r.Count));
    }

    [Fact]
    public async Task A_tls_handshake_on_the_plain_port_and_plain_text_on_the_tls_port_change_nothing_else()
    {
        await using var nc = await _server.JoinAsync("bystander");
        // TLS spoken to the clear-text door: its bytes are not a valid name; the door answers in text and goes on.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(_server.Plain);
            using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cts.Token));
        }
        // Clear text spoken to a TLS door: the handshake fails and the connection closes.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(_server.Host.PlainTlsEndPoint!);
            var stream = tcp.GetStream();
            await stream.WriteAsync("alice\nhello\n"u8.ToArray());
            var buffer = new byte[256];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (await stream.ReadAsync(buffer, cts.Token) > 0) { }
            }
            catch (IOException)
            {
            }
        }
        await nc.SendAsync("/who");
        Assert.Equal("* Online (1): bystander", await nc.ExpectAsync("^\\* Online"));
    }
}
