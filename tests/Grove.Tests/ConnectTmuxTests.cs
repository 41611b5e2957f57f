using Grove.Testing;

namespace Grove.Tests;

/// <summary>The real interactive client in a pseudo-terminal under tmux: keys typed, the screen read back.</summary>
public sealed class ConnectTmuxTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Lines_arrive_above_the_line_being_typed_which_keeps_its_text_and_cursor()
    {
        using var tmux = new TmuxScreen($"dotnet {GroveProcess.GroveDll} connect 127.0.0.1:{_server.Plain.Port}; echo EXIT=$?; sleep 30", 50, 14);
        await tmux.WaitFor(s => s.Contains("What is your name?"), "the name prompt");
        tmux.Keys("alice", "Enter");
        await tmux.WaitFor(s => s.Contains("* Welcome, alice!"), "the welcome line");

        await using var bob = await _server.JoinAsync("bob");
        tmux.Type("typing 你好🐼 now");
        tmux.Keys("Left", "Left", "Left", "Left");
        // Keys and incoming lines reach the client by different threads: the keys must be in before bob speaks, or a
        // busy machine shows bob's lines above half the text.
        // "> typing " is 9 columns, 你好🐼 6 more: the cursor is before " now".
        await tmux.WaitFor(s => TmuxScreen.LastLine(s) == "> typing 你好🐼 now", "the typed text");
        await tmux.WaitForCursorX(15, "four characters back");
        await bob.SendAsync("hello alice, this line is long enough that it has to wrap on a narrow terminal");
        await bob.SendAsync("/me waves");
        var screen = await tmux.WaitFor(s => s.Contains("* bob waves"), "bob's lines");
        Assert.Equal("> typing 你好🐼 now", TmuxScreen.LastLine(screen));
        Assert.Contains("bob: hello alice, this line is long enough that it", screen);
        Assert.Equal(15, tmux.Cursor().X);

        tmux.Type("!");
        await tmux.WaitFor(s => TmuxScreen.LastLine(s) == "> typing 你好🐼! now", "the inserted character");
        tmux.Keys("Enter");
        await bob.ExpectAsync("^alice: typing 你好🐼! now$");
        screen = await tmux.WaitFor(s => s.Contains("alice: typing 你好🐼! now"), "alice's own line");
        Assert.Equal(">", TmuxScreen.LastLine(screen));

        tmux.Keys("Up");
        await tmux.WaitFor(s => TmuxScreen.LastLine(s) == "> typing 你好🐼! now", "the previous line from history");
        tmux.Keys("C-u");
        tmux.Keys("C-c");
        await bob.ExpectAsync("^\\* alice left \\(quit\\)$");
        screen = await tmux.WaitFor(s => s.Contains("EXIT="), "the client's exit");
        Assert.Contains("EXIT=0", screen);
        Assert.DoesNotContain("Exception", screen);
    }

    [Fact]
    public async Task With_a_name_option_the_name_question_is_not_shown()
    {
        using var tmux = new TmuxScreen($"dotnet {GroveProcess.GroveDll} connect 127.0.0.1:{_server.Plain.Port} --name carol; echo EXIT=$?; sleep 30", 60, 12);
        var screen = await tmux.WaitFor(s => s.Contains("* Welcome, carol!"), "the welcome line");
        Assert.DoesNotContain("What is your name?", screen);
        tmux.Keys("C-d");
        screen = await tmux.WaitFor(s => s.Contains("EXIT="), "the client's exit");
        Assert.Contains("EXIT=0", screen);
    }

    [Fact]
    public async Task Given_two_addresses_it_moves_to_the_second_when_the_first_shuts_down_and_says_where_it_is()
    {
        var first = await TestServer.StartAsync();
        int portA = first.Plain.Port, portB = _server.Plain.Port;
        using var tmux = new TmuxScreen($"dotnet {GroveProcess.GroveDll} connect 127.0.0.1:{portA} 127.0.0.1:{portB} --name carol; echo EXIT=$?; sleep 30", 70, 16);
        await tmux.WaitFor(s => s.Contains($"* connected to 127.0.0.1:{portA}") && s.Contains("* Welcome, carol!"), "the first address");
        await first.DisposeAsync();
        await tmux.WaitFor(s => s.Contains($"* connected to 127.0.0.1:{portB}") && s.Contains("Reconnected as carol."), "the second address");
        await using var dave = await _server.JoinAsync("dave");
        tmux.Type("on the second node now");
        tmux.Keys("Enter");
        await dave.ExpectAsync("^carol: on the second node now$");
        tmux.Keys("C-d");
        var screen = await tmux.WaitFor(s => s.Contains("EXIT="), "the client's exit");
        Assert.Contains("EXIT=0", screen);
    }
}
