using System.Threading.Channels;

namespace Grove.Client;

/// <summary>What the client logic needs from a front end (line mode or the interactive terminal).</summary>
public interface IClientFrontEnd
{
    /// <summary>Lines the person typed, in order; completes at end of input (Ctrl+D, end of a pipe).</summary>
    ChannelReader<string> Input { get; }

    /// <summary>A line from the server.</summary>
    void ShowServerLine(string line, string? myName);

    /// <summary>The person's own message, which the server does not echo.</summary>
    void ShowOwn(string text, string myName, bool action);

    /// <summary>A line from the client itself (connection lost, reconnecting…).</summary>
    void ShowStatus(string text);

    /// <summary>The next input lines are a name, not messages (for the prompt).</summary>
    void SetAskingName(bool asking);

    /// <summary>The next input line is a password: hidden while typed, kept out of the input history.</summary>
    void SetAskingPassword(bool asking);
}
