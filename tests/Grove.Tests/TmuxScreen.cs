using System.Diagnostics;

namespace Grove.Tests;

/// <summary>A program in a pseudo-terminal under its own tmux server: keys typed, the screen and cursor read back.</summary>
public sealed class TmuxScreen : IDisposable
{
    private readonly string _socket = "grove-test-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Starts <paramref name="command"/> (a shell command line) in a detached session of the given size.</summary>
    public TmuxScreen(string command, int width, int height) =>
        Tmux("new-session", "-d", "-s", "main", "-x", width.ToString(), "-y", height.ToString(), command);

    public string Tmux(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-L");
        psi.ArgumentList.Add(_socket);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    /// <summary>Keys by tmux name (Enter, Left, C-u…).</summary>
    public void Keys(params string[] keys) => Tmux(["send-keys", "-t", "main", .. keys]);

    /// <summary>Text typed as it is.</summary>
    public void Type(string text) => Tmux("send-keys", "-t", "main", "-l", text);

    public string Screen() => Tmux("capture-pane", "-p", "-t", "main");

    public (int X, int Y) Cursor()
    {
        var parts = Tmux("display", "-p", "-t", "main", "#{cursor_x},#{cursor_y}").Trim().Split(',');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    // Generous: the first screen waits for a dotnet process to start on two cores shared with the other test hosts.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Reads the screen until it satisfies the condition, up to a deadline.</summary>
    public async Task<string> WaitFor(Func<string, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        string screen;
        while (!condition(screen = Screen()))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the screen never showed {what}:\n{screen}");
            await Task.Delay(50);
        }
        return screen;
    }

    /// <summary>Reads the cursor until it is in column <paramref name="x"/>, up to a deadline.</summary>
    public async Task WaitForCursorX(int x, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (Cursor().X != x)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cursor never reached column {x} ({what}): at {Cursor().X}\n{Screen()}");
            await Task.Delay(50);
        }
    }

    public static string LastLine(string screen) => screen.Split('\n').Select(l => l.TrimEnd()).Last(l => l.Length > 0);

    public void Dispose() => Tmux("kill-server");
}
