using System.Globalization;
using System.Reflection;
using System.Text;
using Grove.Core;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Grove.Server.Doors.Web;

/// <summary>The web door's HTTP side: the browser client, /ws, the JSON API, /healthz, /metrics and /status.</summary>
public static class WebEndpoints
{
    /// <summary>The most messages one API request returns.</summary>
    public const int MaxApiMessages = 200;

    public static void Map(WebApplication app)
    {
        var options = (GroveServerOptions)app.Services.GetService(typeof(GroveServerOptions))!;
        var loggers = (ILoggerFactory)app.Services.GetService(typeof(ILoggerFactory))!;
        WebGuard.Use(app, options, loggers.CreateLogger("Grove.Server.Doors.Web.WebGuard"));
        var chat = (ChatServer)app.Services.GetService(typeof(ChatServer))!;
        var ring = (LogRing)app.Services.GetService(typeof(LogRing))!;
        var rate = (RateSampler)app.Services.GetService(typeof(RateSampler))!;

        // A WebSocket upgrade never gets here (Grove takes it first); anything else asking for /ws is told what it is.
        app.Map("/ws", static context =>
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return context.Response.WriteAsync("This is Grove's WebSocket endpoint: connect with a WebSocket client.");
        });
        MapFile(app, "/", "index.html", "text/html; charset=utf-8");
        MapFile(app, "/app.js", "app.js", "text/javascript; charset=utf-8");
        MapFile(app, "/style.css", "style.css", "text/css; charset=utf-8");
        MapFile(app, "/favicon.svg", "favicon.svg", "image/svg+xml");
        // The status page's own files: the Content-Security-Policy allows no inline script or style.
        MapFile(app, "/status.js", "status.js", "text/javascript; charset=utf-8");
        MapFile(app, "/status.css", "status.css", "text/css; charset=utf-8");

        // Counts are of people: one account's connections on several doors are one member.
        app.MapGet("/api/rooms", () => Results.Json(PublicRooms(chat).Select(r => new { name = r.Name, members = r.PeopleCount, topic = r.Topic })));

        // The query is read here, not bound: a bound number that does not parse is a 400 with an empty body.
        app.MapGet("/api/rooms/{room}/messages", async (string room, string? before, string? limit) =>
        {
            var name = room.StartsWith('#') ? room : "#" + room;
            long? beforeId = null;
            var wanted = 50;
            if ((before is not null && !TryId(before, out beforeId)) || (limit is not null && !TryLimit(limit, out wanted)))
                return Results.Json(new { error = $"before is a message id and limit a number from 1 to {MaxApiMessages}, as in ?before=120&limit=50." }, statusCode: 400);
            var anchor = beforeId is { } id ? HistoryAnchor.Before(HistoryRef.ToId(id)) : HistoryAnchor.Latest();
            // Nobody asks: public rooms only, and only what was sent behind no gate.
            HistoryAnswer answer;
            try
            {
                answer = await chat.ReadPublicHistoryAsync(new HistoryQuery(null, name, anchor, wanted));
            }
            catch (Grove.Core.History.StoreException ex)
            {
                // PostgreSQL away (or a damaged SQLite page): said in one line, as /healthz says it.
                return Results.Json(new { error = $"History cannot be read right now: {ex.Message}" }, statusCode: 503);
            }
            if (answer.Page is not { } page) return Results.Json(new { error = $"There is no public room called {name}." }, statusCode: 404);
            return Results.Json(new
            {
                room = page.Target,
                messages = page.Messages.OfType<RoomMessageEvent>()
                    .Select(m => new { id = m.Id, time = m.Time, from = m.From, text = m.Text, kind = m.Kind.ToString().ToLowerInvariant() }),
            });
        });

        app.MapGet("/api/users", () => Results.Json(People(chat)
            .Where(p => !p.Any(static s => s.Invisible))
            .Select(p => new
            {
                name = p.Key,
                doors = p.Select(s => ChatServer.DoorName(s.Door)).Distinct(),
                away = p.Select(s => s.AwayMessage).FirstOrDefault(a => a is not null),
            })));

        app.MapGet("/healthz", () =>
        {
            var healthy = chat.Store.IsHealthy(out var problem) && !chat.StoreFailing;
            return Results.Json(new { status = healthy ? "ok" : "degraded", store = healthy ? "ok" : problem ?? chat.StoreProblem ?? "failing" },
                statusCode: healthy ? 200 : 503);
        });

        var exporter = (MetricsExporter)app.Services.GetService(typeof(MetricsExporter))!;
        app.MapGet("/metrics", async (HttpContext c) =>
        {
            c.Response.ContentType = MetricsExporter.ContentType;
            await exporter.WriteAsync(c.Response.Body, c.RequestAborted);
        });

        app.MapGet("/status", (HttpContext c) => StatusAllowed(c, options) ? Resource("status.html", "text/html; charset=utf-8") : Forbidden());
        app.MapGet("/status.json", (HttpContext c) => !StatusAllowed(c, options) ? Forbidden() : Results.Json(new
        {
            server = options.ServerName,
            node = chat.NodeName,
            connections = new
            {
                plain = chat.Metrics.ConnectionsOpen(DoorKind.Plain),
                irc = chat.Metrics.ConnectionsOpen(DoorKind.Irc),
                web = chat.Metrics.ConnectionsOpen(DoorKind.Web),
            },
            people = People(chat).Select(p => new
            {
                name = p.Key,
                connections = p.Select(s => new { door = ChatServer.DoorName(s.Door), address = s.RemoteAddress, node = s.NodeName }),
            }),
            rooms = chat.Rooms.OrderByDescending(r => r.PeopleCount).Select(r => new { name = r.Name, members = r.PeopleCount, connections = r.Members.Length }),
            messagesIn = chat.Metrics.MessagesIn,
            messagesPerSecond = Math.Round(rate.PerSecond, 1),
            deliveries = chat.Metrics.Deliveries,
            store = chat.StoreFailing ? "failing" : "ok",
            log = ring.Latest(40),
        }));
    }

    private static bool TryId(string text, out long? id)
    {
        id = long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        return id is not null;
    }

    // More than the API gives is the most it gives (docs/protocol.md: "N up to 200").
    private static bool TryLimit(string text, out int limit)
    {
        limit = TryId(text, out var n) && n >= 1 ? (int)Math.Min(n!.Value, MaxApiMessages) : 0;
        return limit >= 1;
    }

    private static IResult Forbidden() => Results.Text("The status page answers only requests from this machine.", statusCode: 403);

    private static bool StatusAllowed(HttpContext c, GroveServerOptions o) =>
        o.StatusAllowRemote || c.Connection.RemoteIpAddress is { } ip && System.Net.IPAddress.IsLoopback(ip);

    private static bool IsPublic(Room r) => (r.Modes & (RoomModes.Secret | RoomModes.InviteOnly)) == 0 && r.Password is null;

    private static IEnumerable<Room> PublicRooms(ChatServer chat) =>
        chat.Rooms.Where(IsPublic).OrderByDescending(r => r.PeopleCount).ThenBy(r => r.Key, StringComparer.Ordinal);

    /// <summary>Everyone with a name, by name: the connections of one account share it and are one person.</summary>
    private static IEnumerable<IGrouping<string, Session>> People(ChatServer chat) =>
        chat.EveryoneConnected.Where(static s => s.State == SessionState.Registered && s.Name is not null)
            .GroupBy(static s => s.Name!, StringComparer.Ordinal)
            .OrderBy(static p => p.Key, StringComparer.OrdinalIgnoreCase);

    private static void MapFile(WebApplication app, string path, string resource, string contentType) =>
        app.MapGet(path, () => Resource(resource, contentType));

    private static readonly Dictionary<string, byte[]> Files = new();

    private static IResult Resource(string name, string contentType)
    {
        byte[]? bytes;
        lock (Files)
        {
            if (!Files.TryGetValue(name, out bytes))
            {
                using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + name);
                if (stream is null) return Results.NotFound();
                using var ms = new MemoryStream();
                stream.CopyTo(ms);
                Files[name] = bytes = ms.ToArray();
            }
        }
        return Results.Bytes(bytes, contentType);
    }
}

/// <summary>Messages per second over the last few seconds, sampled once a second.</summary>
public sealed class RateSampler : IDisposable
{
    private readonly Timer _timer;
    private readonly long[] _samples = new long[6];
    private int _next;
    private readonly Func<long> _read;

    public RateSampler(ChatServer chat)
    {
        _read = () => chat.Metrics.MessagesIn;
        _timer = new Timer(_ => Sample(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    private void Sample()
    {
        lock (_samples) _samples[_next++ % _samples.Length] = _read();
    }

    public double PerSecond
    {
        get
        {
            lock (_samples)
            {
                if (_next < 2) return 0;
                var newest = _samples[(_next - 1) % _samples.Length];
                var span = Math.Min(_next, _samples.Length) - 1;
                var oldest = _samples[(_next - 1 - span) % _samples.Length];
                return (newest - oldest) / (double)span;
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
