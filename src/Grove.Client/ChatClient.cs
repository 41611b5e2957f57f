using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Grove.Client;

/// <summary>
/// The client's logic, whatever the front end: connect, choose a name (again when refused), pass lines both ways,
/// leave cleanly, and reconnect with backoff when the connection is lost.
/// </summary>
public sealed class ChatClient(ClientOptions options, IClientFrontEnd ui)
{
    private static readonly string[] QuitCommands = ["/quit", "@leaves", "!logout"];

    private string? _name = options.Name;
    private string? _password, _typedPassword;
    private string? _room;
    private bool _leaving;
    private bool _inputEnded;
    private bool _sentNameUnasked; // the last name sent came from --name or the last connection, not from input
    private string? _refusedName;   // such a name, answered with "! …" (refused, unless a password prompt follows)
    private readonly ReplayFilter _replay = new();

    public async Task<int> RunAsync(CancellationToken ct)
    {
        Connection? connection;
        try
        {
            connection = await Connection.OpenAsync(options, ct);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain)
        {
            // A name that does not resolve is a typing mistake or a DNS problem, not a stopped server.
            ui.ShowStatus($"Cannot find the host {options.Host}: check its name, or give its address.");
            return ExitCodes.Unreachable;
        }
        catch (SocketException)
        {
            ui.ShowStatus($"Cannot reach {options.Address} — is the server running? (start it with: grove serve)");
            return ExitCodes.Unreachable;
        }

        var firstTime = true;
        while (true)
        {
            var outcome = await RunConnectionAsync(connection, firstTime, ct);
            await connection.DisposeAsync();
            firstTime = false;
            switch (outcome)
            {
                case Outcome.Left:
                    return ExitCodes.Ok;
                case Outcome.NoName:
                    return ExitCodes.NoName;
            }
            // Lost (or the server is shutting down): try again for a while.
            if (!options.Reconnect || _inputEnded)
            {
                ui.ShowStatus(_inputEnded ? "Goodbye." : "Not reconnecting (--no-reconnect).");
                return _inputEnded ? ExitCodes.Ok : ExitCodes.ConnectionLost;
            }
            connection = await ReconnectAsync(ct);
            if (connection is null)
            {
                ui.ShowStatus($"Could not reconnect to {options.Address} within {options.ReconnectFor.TotalSeconds:0} s. Giving up.");
                return ExitCodes.ConnectionLost;
            }
        }
    }

    private enum Outcome { Left, Lost, NoName }

    // The input ended before a name was accepted: said, so a script's exit code 3 comes with its reason.
    private Outcome InputEnded()
    {
        ui.ShowStatus("No name chosen: the input ended before the server accepted a name.");
        return Outcome.NoName;
    }

    private async Task<Connection?> ReconnectAsync(CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromSeconds(1);
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < options.ReconnectFor)
        {
            var left = options.ReconnectFor - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var wait = delay < left ? delay : left;
            ui.ShowStatus($"Reconnecting to {options.Address} in {wait.TotalSeconds:0} s (giving up after {options.ReconnectFor.TotalSeconds:0} s)…");
            await Task.Delay(wait, ct);
            try
            {
                return await Connection.OpenAsync(options, ct);
            }
            catch (SocketException)
            {
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 8));
            }
        }
        return null;
    }

    private async Task<Outcome> RunConnectionAsync(Connection c, bool firstTime, CancellationToken ct)
    {
        // Registration: answer each name prompt; a refusal ("! …") is shown and the prompt comes again.
        var registered = false;
        var shuttingDown = false;
        while (!registered)
        {
            var line = await c.ReadLineAsync(ct);
            if (line is null) return Lost(shuttingDown);
            if (line.StartsWith("* The server is shutting down", StringComparison.Ordinal)) shuttingDown = true;
            if (line == "What is your name?")
            {
                if (_refusedName is not null && !options.AskAgainForRefusedName)
                {
                    // Line mode: the next input line is a message, not a name, so a refused name ends the client.
                    ui.ShowStatus($"No name chosen: the server refused \"{_refusedName}\".");
                    return Outcome.NoName;
                }
                _refusedName = null;
                // With a name at hand the question is answered without showing it (scripts read clean output).
                var name = _name;
                _sentNameUnasked = name is not null;
                if (name is null)
                {
                    ui.ShowServerLine(line, null);
                    ui.SetAskingName(true);
                    name = await NextInputAsync(ct);
                    ui.SetAskingName(false);
                    if (name is null) return InputEnded();
                }
                _name = null;
                await c.SendLineAsync(name.Trim(), ct);
                _name = name.Trim();
                continue;
            }
            if (line.StartsWith("The name ", StringComparison.Ordinal) && line.Contains(" is registered. Type its password", StringComparison.Ordinal))
            {
                // A registered name: its password, typed hidden (or remembered from this session's login, to reconnect).
                var password = _password;
                if (password is null)
                {
                    ui.ShowServerLine(line, null);
                    ui.SetAskingPassword(true);
                    password = await NextInputAsync(ct);
                    ui.SetAskingPassword(false);
                    if (password is null) return InputEnded();
                }
                _password = null;
                _typedPassword = password;
                _sentNameUnasked = false;
                _refusedName = null; // the name was not refused: it is registered, and this is its password
                await c.SendLineAsync(password, ct);
                continue;
            }
            if (line.StartsWith("* You are logged in as ", StringComparison.Ordinal))
            {
                _password = _typedPassword; // kept in memory only, to log in again after a lost connection
                _typedPassword = null;
                ui.ShowServerLine(line, null);
                continue;
            }
            if (line.StartsWith("! ", StringComparison.Ordinal))
            {
                // Reconnecting with a remembered login, the "registered" notice is expected: the password follows.
                if (!(_password is not null && line.Contains(" is registered. Log in", StringComparison.Ordinal))) ui.ShowServerLine(line, null);
                if (_sentNameUnasked) _refusedName = _name;
                _sentNameUnasked = false;
                _name = null; // refused: ask the person
                continue;
            }
            if (line.StartsWith("* Welcome, ", StringComparison.Ordinal))
            {
                registered = true;
                var end = line.IndexOf('!');
                if (end > 11) _name = line[11..end];
                ui.ShowServerLine(line, _name);
                if (!firstTime)
                {
                    ui.ShowStatus($"Reconnected as {_name}.");
                    var rejoin = _room is not null && !string.Equals(_room, "#lobby", StringComparison.OrdinalIgnoreCase) ? _room : null;
                    _replay.Reconnected(rejoin);
                    if (rejoin is not null) await c.SendLineAsync("/join " + rejoin, ct);
                }
                continue;
            }
            if (firstTime) ui.ShowServerLine(line, null);
        }

        // Chatting: server lines and typed lines, until one side ends.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = SendTypedLinesAsync(c, stop.Token);
        try
        {
            while (true)
            {
                var line = await c.ReadLineAsync(ct);
                if (line is null) break;
                Track(line);
                if (line.StartsWith("* The server is shutting down", StringComparison.Ordinal)) shuttingDown = true;
                if (!_replay.ShouldShow(line)) continue;
                _replay.Shown(line);
                ui.ShowServerLine(line, _name);
            }
        }
        finally
        {
            stop.Cancel();
            try { await sending; } catch (OperationCanceledException) { }
        }
        if (_leaving) return Outcome.Left;
        return Lost(shuttingDown);
    }

    private Outcome Lost(bool shuttingDown)
    {
        if (_leaving) return Outcome.Left;
        ui.ShowStatus(shuttingDown ? "The server is shutting down; the connection closed." : "Connection lost.");
        return Outcome.Lost;
    }

    private void Track(string line)
    {
        if (line.StartsWith("* You joined ", StringComparison.Ordinal))
        {
            var room = line["* You joined ".Length..];
            var end = room.IndexOfAny([' ', ';', '.']);
            _room = end < 0 ? room : room[..end];
        }
        else if (line.StartsWith("* You left ", StringComparison.Ordinal)) _room = null;
        else if (_name is not null && _room is not null && line.StartsWith($"* {_name} was kicked from {_room} by ", StringComparison.OrdinalIgnoreCase))
            _room = null; // not to be rejoined on a reconnect
        else if (line.StartsWith("* You are now known as ", StringComparison.Ordinal)) _name = line["* You are now known as ".Length..];
    }

    private async Task SendTypedLinesAsync(Connection c, CancellationToken ct)
    {
        while (true)
        {
            var line = await NextInputAsync(ct);
            if (line is null)
            {
                // End of input: leave as if /quit was typed.
                _inputEnded = true;
                _leaving = true;
                await c.SendLineAsync("/quit", ct);
                return;
            }
            if (IsQuit(line)) _leaving = true;
            _replay.Typed();
            await c.SendLineAsync(line, ct);
            if (_name is not null && line.Length > 0)
            {
                if (!line.StartsWith('/') && !IsQuit(line) && !IsBangCommand(line)) ShowOwn(line, action: false);
                else if (line.StartsWith("//", StringComparison.Ordinal)) ShowOwn(line[1..], action: false);
                else if (line.StartsWith("/me ", StringComparison.OrdinalIgnoreCase)) ShowOwn(line[4..], action: true);
            }
        }
    }

    private void ShowOwn(string text, bool action)
    {
        _replay.Shown(action ? $"* {_name} {text}" : $"{_name}: {text}");
        ui.ShowOwn(text, _name!, action);
    }

    private static bool IsQuit(string line)
    {
        if (line is "bye" or "exit") return true;
        var word = line.Split(' ', 2)[0];
        return QuitCommands.Contains(word, StringComparer.OrdinalIgnoreCase);
    }

    private static bool IsBangCommand(string line)
    {
        var word = line.Split(' ', 2)[0].ToLowerInvariant();
        return word is "!who" or "!msg" or "!help" or "@grove" or "@bamboo" or "!logout" or "@leaves";
    }

    private async Task<string?> NextInputAsync(CancellationToken ct)
    {
        try
        {
            return await ui.Input.ReadAsync(ct);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>One TCP connection to the plain door, read line by line.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly StreamReader _reader;
        private readonly Stream _stream;

        private Connection(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = new StreamReader(_stream, new UTF8Encoding(false, false));
        }

        public static async Task<Connection> OpenAsync(ClientOptions o, CancellationToken ct)
        {
            var tcp = new TcpClient { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                await tcp.ConnectAsync(o.Host, o.Port, timeout.Token);
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
            return new Connection(tcp);
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
}
