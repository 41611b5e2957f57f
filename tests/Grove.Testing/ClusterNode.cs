using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Grove.Testing;

/// <summary>A message as `/api/rooms/{room}/messages` gives it.</summary>
public sealed record ApiMessage(long Id, string From, string Text)
{
    public override string ToString() => $"{Id} {From}: {Text}";
}

/// <summary>One running node of a <see cref="ClusterHarness"/>: its process, its doors, and clients for each.</summary>
public sealed class ClusterNode(string name, GroveProcess process, IPEndPoint plain, IPEndPoint irc, IPEndPoint web, string logFile)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string Name => name;
    public GroveProcess Process => process;
    public IPEndPoint Plain => plain;
    public IPEndPoint Irc => irc;
    public IPEndPoint Web => web;
    public Uri HttpUri => new($"http://127.0.0.1:{web.Port}/");
    public string LogFile => logFile;

    public Task<LineClient> JoinAsync(string who) => LineClient.JoinAsync(plain, who);
    public Task<LineClient> ConnectAsync() => LineClient.ConnectAsync(plain);
    public Task<LineClient> IrcAsync(string nick) => LineClient.IrcAsync(irc, nick);
    public Task<LineClient> IrcWithCapsAsync(string nick, string caps) => LineClient.IrcWithCapsAsync(irc, nick, caps);
    public Task<WebPerson> WebAsync(string who) => WebPerson.JoinAsync(web.Port, who);

    /// <summary>Logs in to an account on the plain door, at the name question.</summary>
    public async Task<LineClient> LoggedInAsync(string who, string password)
    {
        var c = await LineClient.ConnectAsync(plain);
        c.Name = who;
        await c.ExpectAsync("^What is your name\\?$");
        await c.SendAsync($"/login {who} {password}");
        await c.ExpectAsync($"^\\* Welcome, {who}!");
        return c;
    }

    /// <summary>A room's whole history through the JSON API, oldest first (paged back 200 at a time).</summary>
    public async Task<List<ApiMessage>> RoomHistoryAsync(string room)
    {
        var all = new List<ApiMessage>();
        string? before = null;
        while (true)
        {
            var uri = new Uri(HttpUri, $"api/rooms/{room.TrimStart('#')}/messages?limit=200" + (before is null ? "" : $"&before={before}"));
            using var answer = await Http.GetAsync(uri);
            var body = await answer.Content.ReadAsStringAsync();
            if (answer.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{name}: GET {uri.PathAndQuery} answered {(int)answer.StatusCode}: {body}");
            var page = JsonDocument.Parse(body).RootElement.GetProperty("messages").EnumerateArray()
                .Select(m => new ApiMessage(m.GetProperty("id").GetInt64(), m.GetProperty("from").GetString()!, m.GetProperty("text").GetString()!)).ToList();
            all.InsertRange(0, page);
            if (page.Count < 200) return all;
            before = page[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>/healthz: its status code and its "store" field.</summary>
    public async Task<(HttpStatusCode Status, string Store)> HealthAsync()
    {
        using var answer = await Http.GetAsync(new Uri(HttpUri, "healthz"));
        var body = await answer.Content.ReadFromJsonAsync<JsonElement>();
        return (answer.StatusCode, body.TryGetProperty("store", out var s) ? s.GetString() ?? "" : "");
    }

    /// <summary>Asks /healthz until it answers <paramref name="wanted"/>; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForHealthAsync(HttpStatusCode wanted, TimeSpan timeout)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var (status, store) = await HealthAsync();
            if (status == wanted) return;
            if (waited.Elapsed > timeout) throw new TimeoutException($"{name}: /healthz still answers {(int)status} ({store}) after {timeout.TotalSeconds} s");
            await Task.Delay(100); // polling an HTTP status: there is no event to wait on
        }
    }
}

/// <summary>
/// A person on the web door through a raw WebSocket (<see cref="WsClient"/>), with every message it receives kept in
/// order, so a test can wait for one and still read all of them afterwards (as <see cref="LineClient.Seen"/>).
/// </summary>
public sealed class WebPerson : IAsyncDisposable
{
    private readonly WsClient _ws;
    private readonly List<JsonElement> _received = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Task _reader;
    private int _cursor;

    private WebPerson(WsClient ws, string name)
    {
        _ws = ws;
        Name = name;
        _reader = Task.Run(ReadLoop);
    }

    public string Name { get; }
    public bool Closed { get; private set; }
    public IReadOnlyList<JsonElement> Received { get { lock (_received) return _received.ToList(); } }

    /// <summary>Opens /ws, says hello with the name and waits for the welcome.</summary>
    public static async Task<WebPerson> JoinAsync(int port, string name)
    {
        var person = new WebPerson(await WsClient.OpenAsync(port), name);
        await person.SendAsync(new { type = "hello", name });
        await person.ExpectAsync(m => Type(m) == "welcome", "welcome");
        return person;
    }

    public Task SendAsync(object message) => _ws.Send(message);

    public static string? Type(JsonElement m) => m.TryGetProperty("type", out var t) ? t.GetString() : null;
    public static string? Field(JsonElement m, string field) => m.TryGetProperty(field, out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;

    /// <summary>Waits for the next message (after the last one an Expect returned) that matches; fails after the timeout.</summary>
    public async Task<JsonElement> ExpectAsync(Func<JsonElement, bool> match, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? LineClient.DefaultTimeout);
        while (true)
        {
            lock (_received)
            {
                while (_cursor < _received.Count)
                    if (match(_received[_cursor++])) return _received[_cursor - 1];
                if (Closed) throw new IOException($"{Name}: closed before {what}. Last: {Last()}");
            }
            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Name}: no {what}. Last: {Last()}");
            }
        }
    }

    /// <summary>Waits until the server has closed the socket.</summary>
    public async Task WaitClosedAsync(TimeSpan timeout)
    {
        try
        {
            await _reader.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name}: the socket is still open after {timeout.TotalSeconds} s. Last: {Last()}");
        }
    }

    private string Last()
    {
        lock (_received) return string.Join(" | ", _received.TakeLast(10).Select(m => m.GetRawText()));
    }

    private async Task ReadLoop()
    {
        try
        {
            // One buffer for the whole life (WsClient.Next takes 1 MiB per message, too much for a stream).
            var buffer = new byte[1 << 20];
            while (true)
            {
                var filled = 0;
                System.Net.WebSockets.ValueWebSocketReceiveResult r;
                do
                {
                    r = await _ws.Socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None);
                    if (r.MessageType == System.Net.WebSockets.WebSocketMessageType.Close) return;
                    filled += r.Count;
                } while (!r.EndOfMessage);
                var m = JsonDocument.Parse(buffer.AsMemory(0, filled)).RootElement.Clone();
                lock (_received) _received.Add(m);
                _arrived.Release();
            }
        }
        catch (Exception)
        {
            // Reset, or disposed.
        }
        finally
        {
            lock (_received) Closed = true;
            _arrived.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _ws.DisposeAsync();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
    }
}
