using System.Net;
using Grove.Server.Hosting;

namespace Grove.Testing;

/// <summary>An in-process Grove server on ephemeral loopback ports with its own data folder and log file.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly bool _ownsFolder;

    private TestServer(GroveHost host, TempFolder folder, bool ownsFolder)
    {
        _ownsFolder = ownsFolder;
        Host = host;
        Folder = folder;
    }

    public GroveHost Host { get; }
    public TempFolder Folder { get; }
    public IPEndPoint Plain => Host.PlainEndPoint;
    public IPEndPoint Irc => Host.IrcEndPoint!;
    public IPEndPoint Http => Host.HttpEndPoint!;
    public Uri HttpUri => new($"http://127.0.0.1:{Host.HttpEndPoint!.Port}/");
    public string LogFile => Host.Options.LogFile;

    public static async Task<TestServer> StartAsync(Action<GroveServerOptions>? configure = null, TempFolder? folder = null)
    {
        var owns = folder is null;
        folder ??= new TempFolder();
        var options = new GroveServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            IrcPort = 0,
            HttpPort = 0,
            Data = Path.Combine(folder.Path, "data"),
            LogFile = Path.Combine(folder.Path, "server_log.txt"),
            ConsoleLog = false,
            ServerName = "test.grove",
            ShutdownSeconds = 2,
            // Most tests send faster than a person types; the flood tests turn it on.
            FloodControl = false,
        };
        configure?.Invoke(options);
        var host = await GroveHost.StartAsync(options);
        return new TestServer(host, folder, owns);
    }

    public Task<LineClient> JoinAsync(string name) => LineClient.JoinAsync(Plain, name);
    public Task<LineClient> IrcAsync(string nick) => LineClient.IrcAsync(Irc, nick);

    /// <summary>Joins on the plain door and registers the name as an account with this password.</summary>
    public async Task<LineClient> RegisteredAsync(string name, string password)
    {
        var c = await JoinAsync(name);
        await c.SendAsync($"/register {password}");
        await c.ExpectAsync($"^\\* The name {name} is now your account");
        return c;
    }

    /// <summary>
    /// Makes an account in the data folder's store before a server starts there, as `grove account create` does: the
    /// only way a server operator's account comes to be.
    /// </summary>
    public static void CreateAccount(TempFolder folder, string name, string password)
    {
        using var store = new Grove.Server.Store.Sqlite.SqliteMessageStore(System.IO.Path.Combine(folder.Path, "data"));
        store.Open();
        var changes = new Grove.Core.Accounts.StoreChanges();
        changes.Accounts.Add(new(name, name, Grove.Core.Accounts.PasswordHasher.Hash(password), DateTimeOffset.UtcNow));
        store.CommitChanges(changes);
    }

    /// <summary>Logs in to an existing account on the plain door, at the name question.</summary>
    public async Task<LineClient> LoggedInAsync(string name, string password)
    {
        var c = await LineClient.ConnectAsync(Plain);
        c.Name = name;
        await c.ExpectAsync("^What is your name\\?$");
        await c.SendAsync($"/login {name} {password}");
        await c.ExpectAsync($"^\\* Welcome, {name}!");
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_ownsFolder) Folder.Dispose();
    }
}

/// <summary>A folder under the system temp folder, deleted on dispose unless <see cref="Keep"/>.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "grove-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public bool Keep { get; set; }

    public void Dispose()
    {
        if (Keep) return;
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
