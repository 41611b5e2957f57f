using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Grove.Client.Terminal;

/// <summary>
/// An interactive terminal for a line-based program (the chat client, the peer shell): lines printed while the person
/// types appear above the input line, which keeps its text and cursor; keys edit it (history, Ctrl+U…). One loop owns
/// the screen; keys (read on their own thread), printed lines and resizes reach it through a channel.
/// </summary>
public sealed class TerminalShell
{
    private abstract record UiEvent;
    private sealed record KeyEvent(ConsoleKeyInfo Key) : UiEvent;
    private sealed record PrintEvent(string Styled) : UiEvent;
    private sealed record PromptEvent(string Prompt, bool Masked) : UiEvent;
    private sealed record RedrawEvent : UiEvent;

    private readonly Channel<UiEvent> _events = Channel.CreateUnbounded<UiEvent>();
    private readonly Channel<string> _input = Channel.CreateUnbounded<string>();
    private readonly LineEditor _editor = new();
    private readonly ScreenRenderer _screen;
    private readonly ConsoleOutput _output = new();

    public TerminalShell(string prompt)
    {
        _screen = new ScreenRenderer(_output, _editor) { Prompt = prompt };
    }

    /// <summary>Lines the person submitted with Enter; completes on Ctrl+C, Ctrl+D or the end of input.</summary>
    public ChannelReader<string> Input => _input.Reader;

    /// <summary>Prints a line (with its colours) above the input line.</summary>
    public void Print(string styled) => _events.Writer.TryWrite(new PrintEvent(styled));

    /// <summary>Changes the prompt; masked input shows '*' for each character and stays out of the history.</summary>
    public void SetPrompt(string prompt, bool masked = false) => _events.Writer.TryWrite(new PromptEvent(prompt, masked));

    /// <summary>Takes over the terminal while <paramref name="work"/> runs, then gives it back.</summary>
    public async Task<int> RunAsync(Func<Task<int>> work)
    {
        Console.OutputEncoding = Encoding.UTF8;
        Console.InputEncoding = Encoding.UTF8;
        Console.TreatControlCAsInput = true;
        using var resize = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGWINCH, ctx =>
        {
            ctx.Cancel = true;
            _events.Writer.TryWrite(new RedrawEvent());
        });
        var keys = new Thread(ReadKeys) { IsBackground = true, Name = "keys" };
        keys.Start();
        var loop = UiLoop();
        int code;
        try
        {
            code = await work();
        }
        finally
        {
            _events.Writer.TryComplete();
            await loop;
            _screen.Finish();
            Console.TreatControlCAsInput = false;
        }
        return code;
    }

    private void ReadKeys()
    {
        try
        {
            while (true) _events.Writer.TryWrite(new KeyEvent(Console.ReadKey(intercept: true)));
        }
        catch (InvalidOperationException)
        {
            _input.Writer.TryComplete();
        }
    }

    private async Task UiLoop()
    {
        _screen.Redraw();
        await foreach (var e in _events.Reader.ReadAllAsync())
        {
            switch (e)
            {
                case PrintEvent p:
                    _screen.PrintAbove(p.Styled);
                    break;
                case PromptEvent p:
                    _screen.Prompt = p.Prompt;
                    _screen.Masked = p.Masked;
                    _screen.Redraw();
                    break;
                case RedrawEvent:
                    _screen.Redraw();
                    break;
                case KeyEvent k:
                    HandleKey(k.Key);
                    break;
            }
        }
    }

    private void HandleKey(ConsoleKeyInfo key)
    {
        var ctrl = (key.Modifiers & ConsoleModifiers.Control) != 0;
        if (ctrl && key.Key is ConsoleKey.C or ConsoleKey.D || key.KeyChar is '\u0003' or '\u0004')
        {
            // Leave cleanly: the program sees the end of input.
            _input.Writer.TryComplete();
            return;
        }
        switch (key.Key)
        {
            case ConsoleKey.Enter:
                var line = _editor.Submit(secret: _screen.Masked);
                _screen.Redraw();
                if (line.Length > 0) _input.Writer.TryWrite(line);
                return;
            case ConsoleKey.LeftArrow: _editor.Left(); break;
            case ConsoleKey.RightArrow: _editor.Right(); break;
            case ConsoleKey.Home: _editor.Home(); break;
            case ConsoleKey.End: _editor.End(); break;
            case ConsoleKey.Backspace: _editor.Backspace(); break;
            case ConsoleKey.Delete: _editor.Delete(); break;
            case ConsoleKey.UpArrow: _editor.Up(); break;
            case ConsoleKey.DownArrow: _editor.Down(); break;
            default:
                if (ctrl && key.Key == ConsoleKey.A) _editor.Home();
                else if (ctrl && key.Key == ConsoleKey.E) _editor.End();
                else if (ctrl && key.Key == ConsoleKey.U) _editor.Clear();
                else if (ctrl && key.Key == ConsoleKey.L) { _output.Write("\u001b[2J\u001b[H"); }
                else if (key.KeyChar != '\0' && (!char.IsControl(key.KeyChar) || key.KeyChar == '\t')) _editor.Insert(key.KeyChar == '\t' ? ' ' : key.KeyChar);
                else return;
                break;
        }
        _screen.Redraw();
    }

    private sealed class ConsoleOutput : ITerminalOutput
    {
        private readonly Stream _stdout = Console.OpenStandardOutput();

        public int Width
        {
            get
            {
                try { return Console.WindowWidth > 0 ? Console.WindowWidth : 80; }
                catch (IOException) { return 80; }
            }
        }

        public void Write(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            _stdout.Write(bytes);
        }

        public void Flush() => _stdout.Flush();
    }
}
