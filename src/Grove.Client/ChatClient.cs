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
    private long _lostAt;           // when the last chatting connection was lost (Stopwatch timestamp)
    private bool _nameStillHeld;    // reconnecting, our own name was "already taken": sent again after a pause
    private readonly ReplayFilter _replay = new();

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var dialer = new ServerDialer(options, ui);
        var connection = await dialer.ConnectFirstAsync(ct);
        if (connection is null) return ExitCodes.Unreachable;

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
            connection = await dialer.ReconnectAsync(ct);
            if (connection is null) return ExitCodes.ConnectionLost;
        }
    }

    private enum Outcome { Left, Lost, NoName }

    // The input ended before a name was accepted: said, so a script's exit code 3 comes with its reason.
    private Outcome InputEnded()
    {
        ui.ShowStatus("No name chosen: the input ended before the server accepted a name.");
        return Outcome.NoName;
    }

    private async Task<Outcome> RunConnectionAsync(ServerConnection c, bool firstTime, CancellationToken ct)
    {
        // Registration: answer each name prompt; a refusal ("! …") is shown and the prompt comes again.
        var registered = false;
        string? closing = null; // what the server said before it closes, from its shutdown notice
        while (!registered)
        {
            var line = await c.ReadLineAsync(ct);
            if (line is null) return Lost(closing);
            closing = ClosingNotice(line) ?? closing;
            if (line == "What is your name?")
            {
                if (_nameStillHeld) await Task.Delay(TimeSpan.FromSeconds(1), ct);
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
                if (NameStillHeld(line, firstTime)) continue;
                _nameStillHeld = false;
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
                _nameStillHeld = false;
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
                closing = ClosingNotice(line) ?? closing;
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
        _lostAt = System.Diagnostics.Stopwatch.GetTimestamp();
        return Lost(closing);
    }

    /// <summary>
    /// Whether a refusal, while reconnecting, is our own name "already taken": the lost connection may hold it for a
    /// while yet (a cluster declares a dead node's people gone after some seconds), so it is tried again for up to
    /// the reconnect window instead of asking for another name.
    /// </summary>
    private bool NameStillHeld(string line, bool firstTime)
    {
        if (firstTime || !_sentNameUnasked || _name is null || line != $"! The name \"{_name}\" is already taken.") return false;
        var left = options.ReconnectFor - System.Diagnostics.Stopwatch.GetElapsedTime(_lostAt);
        if (left <= TimeSpan.Zero) return false;
        if (!_nameStillHeld)
            ui.ShowStatus($"The name {_name} is still taken, most likely by the lost connection; trying it again for up to {Math.Ceiling(left.TotalSeconds):0} s…");
        _nameStillHeld = true;
        return true;
    }

    private Outcome Lost(string? closing)
    {
        if (_leaving) return Outcome.Left;
        ui.ShowStatus(closing ?? "Connection lost.");
        return Outcome.Lost;
    }

    // A whole server stopping, or one node of a cluster (a rolling restart): either way the connection closes next.
    private static string? ClosingNotice(string line) =>
        line.StartsWith("* The server is shutting down", StringComparison.Ordinal) ? "The server is shutting down; the connection closed."
        : line.StartsWith("* This node is restarting", StringComparison.Ordinal) ? "This node is restarting; the connection closed."
        : null;

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

    private async Task SendTypedLinesAsync(ServerConnection c, CancellationToken ct)
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
}
