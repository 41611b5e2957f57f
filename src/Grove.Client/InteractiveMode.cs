using System.Threading.Channels;
using Grove.Client.Terminal;

namespace Grove.Client;

/// <summary>
/// The interactive chat client: the terminal shell (incoming lines above the line being typed) with each line
/// styled for the plain door (names in colour, your own lines highlighted).
/// </summary>
public sealed class InteractiveMode : IClientFrontEnd
{
    private readonly TerminalShell _shell = new("> ");
    private readonly LineStyler _styler;

    private InteractiveMode(bool color)
    {
        _styler = new LineStyler(color);
    }

    public ChannelReader<string> Input => _shell.Input;

    public void ShowServerLine(string line, string? myName) => _shell.Print(_styler.Style(line, myName));

    public void ShowOwn(string text, string myName, bool action) => _shell.Print(_styler.Own(text, myName, action));

    public void ShowStatus(string text) => _shell.Print(_styler.Color ? "\u001b[33;1m" + text + "\u001b[0m" : text);

    public void SetAskingName(bool asking) => _shell.SetPrompt(asking ? "name> " : "> ");

    public void SetAskingPassword(bool asking) => _shell.SetPrompt(asking ? "password> " : "> ", asking);

    public static Task<int> RunAsync(ClientOptions options, CancellationToken ct)
    {
        var ui = new InteractiveMode(UseColor());
        return ui._shell.RunAsync(() => new ChatClient(options, ui).RunAsync(ct));
    }

    /// <summary>Colour unless NO_COLOR is set or the output is not a terminal.</summary>
    public static bool UseColor() => Environment.GetEnvironmentVariable("NO_COLOR") is null or "" && !Console.IsOutputRedirected;
}
