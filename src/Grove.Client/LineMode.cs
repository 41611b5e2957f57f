using System.Threading.Channels;

namespace Grove.Client;

/// <summary>
/// Standard input is not a terminal (a pipe or a file): send each input line, print each received line plainly,
/// and leave with /quit when input ends. Scriptable: `printf 'alice\nhello\n' | grove connect`.
/// </summary>
public sealed class LineMode : IClientFrontEnd
{
    private readonly Channel<string> _input = Channel.CreateUnbounded<string>();
    private readonly TextWriter _out;
    private readonly object _gate = new();

    public LineMode(TextReader stdin, TextWriter stdout)
    {
        _out = stdout;
        _ = Task.Run(async () =>
        {
            try
            {
                while (await stdin.ReadLineAsync() is { } line) _input.Writer.TryWrite(line);
            }
            catch (IOException)
            {
            }
            _input.Writer.TryComplete();
        });
    }

    public ChannelReader<string> Input => _input.Reader;

    public void ShowServerLine(string line, string? myName) => Write(Grove.Wire.TextRules.StripTerminalControls(line));
    public void ShowOwn(string text, string myName, bool action) { } // the script knows what it sent
    public void ShowStatus(string text) => Write(text);
    public void SetAskingName(bool asking) { }

    public void SetAskingPassword(bool asking) { }

    private void Write(string line)
    {
        lock (_gate)
        {
            _out.WriteLine(line);
            _out.Flush();
        }
    }

    public static Task<int> RunAsync(ClientOptions options, CancellationToken ct) =>
        new ChatClient(options, new LineMode(Console.In, Console.Out)).RunAsync(ct);
}
