using System.Diagnostics;
using Grove.Testing;

namespace Grove.Tests;

/// <summary>The real interactive client in a pseudo-terminal under tmux: keys typed, the screen read back.</summary>
public sealed class ConnectTmuxTests : IAsyncLifetime
{
    private readonly string _socket = "grove-test-" + Guid.NewGuid().ToString("N")[..8];
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync()
    {
        Tmux("kill-server");
        await _server.DisposeAsync();
    }

    private string Tmux(params string[] args)
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

    private string Screen() => Tmux("capture-pane", "-p", "-t", "chat");

    private (int X, int Y) Cursor()
    {
        var parts = Tmux("display", "-p", "-t", "chat", "#{cursor_x},#{cursor_y}").Trim().Split(',');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    /// <summary>Reads the screen until it satisfies the condition, up to a deadline.</summary>
    private async Task<string> WaitForScreen(Func<string, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        string screen;
        while (!condition(screen = Screen()))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the screen never showed {what}:\n{screen}");
            await Task.Delay(50);
        }
        return screen;
    }

    private static string LastLine(string screen) => screen.Split('\n').Select(l => l.TrimEnd()).Last(l => l.Length > 0);

    [Fact]
    public async Task Lines_arrive_above_the_line_being_typed_which_keeps_its_text_and_cursor()
    {
        var command = $"dotnet {GroveProcess.GroveDll} connect 127.0.0.1:{_server.Plain.Port}; echo EXIT=$?; sleep 30";
        Tmux("new-session", "-d", "-s", "chat", "-x", "50", "-y", "14", command);
        await WaitForScreen(s => s.Contains("What is your name?"), "the name prompt");
        Tmux("send-keys", "-t", "chat", "alice", "Enter");
        await WaitForScreen(s => s.Contains("* Welcome, alice!"), "the welcome line");

        await using var bob = await _server.JoinAsync("bob");
        Tmux("send-keys", "-t", "chat", "-l", "typing 你好🐼 now");
        Tmux("send-keys", "-t", "chat", "Left", "Left", "Left", "Left");
        await bob.SendAsync("hello alice, this line is long enough that it has to wrap on a narrow terminal");
        await bob.SendAsync("/me waves");
        var screen = await WaitForScreen(s => s.Contains("* bob waves"), "bob's lines");
        Assert.Equal("> typing 你好🐼 now", LastLine(screen));
        Assert.Contains("bob: hello alice, this line is long enough that it", screen);
        // "> typing " is 9 columns, 你好🐼 6 more: the cursor is before " now".
        Assert.Equal(15, Cursor().X);

        Tmux("send-keys", "-t", "chat", "-l", "!");
        await WaitForScreen(s => LastLine(s) == "> typing 你好🐼! now", "the inserted character");
        Tmux("send-keys", "-t", "chat", "Enter");
        await bob.ExpectAsync("^alice: typing 你好🐼! now$");
        screen = await WaitForScreen(s => s.Contains("alice: typing 你好🐼! now"), "alice's own line");
        Assert.Equal(">", LastLine(screen));

        Tmux("send-keys", "-t", "chat", "Up");
        await WaitForScreen(s => LastLine(s) == "> typing 你好🐼! now", "the previous line from history");
        Tmux("send-keys", "-t", "chat", "C-u");
        Tmux("send-keys", "-t", "chat", "C-c");
        await bob.ExpectAsync("^\\* alice left \\(quit\\)$");
        screen = await WaitForScreen(s => s.Contains("EXIT="), "the client's exit");
        Assert.Contains("EXIT=0", screen);
        Assert.DoesNotContain("Exception", screen);
    }
}
