using System.Buffers;
using Grove.Core;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

/// <summary>
/// One IRC client: framing, registration (PASS, NICK, USER, CAP) and the command table. Each line's work (commands
/// for the core, door-made replies, queries) is gathered and handed to the core as one unit, so it runs in order with
/// everything else, queries see the state after this client's earlier commands, and an IRCv3 label covers exactly
/// that line's replies. Only the connection's read loop calls into this object.
/// </summary>
public sealed partial class IrcConnection(IChatCore chat, IrcServerInfo info, IrcRenderer renderer, Session session, Grove.Core.Limits.FloodGate flood)
    : ILineHandler
{
    private string? _pendingNick;
    private string? _user;
    private bool _capNegotiating;
    private List<object>? _steps; // this line's work, made on first use (most lines of an idle client have none)
    private List<object> Steps => _steps ??= new();
    private string? _label;

    /// <summary>The IRCv3 capabilities this client enabled. Read by the renderer on the delivery loop.</summary>
    public IrcCaps Caps
    {
        get => _caps;
        private set
        {
            _caps = value;
            session.EncodingKey = renderer.EncodingKey(session);
        }
    }
    private IrcCaps _caps;

    /// <summary>The client asked for CAP LS 302 (capability values, cap-notify).</summary>
    public int CapVersion { get; private set; }

    /// <summary>When the client last sent anything (for the ping timer).</summary>
    public long LastActivityTicks { get; private set; } = Environment.TickCount64;
    /// <summary>When the server sent a PING still unanswered, or 0.</summary>
    public long PingSentTicks { get; set; }

    private bool Registered => session.State == SessionState.Registered;
    private string Me => session.Name ?? _pendingNick ?? "*";
    private bool Has(IrcCaps cap) => (Caps & cap) != 0;

    /// <summary>A line is at most 512 bytes (with CR LF) plus up to 8191 bytes of tags; the framer drops anything longer.</summary>
    public static LineFramer NewFramer() => new(IrcServerInfo.MaxLineBytes + IrcServerInfo.MaxTagBytes);

    public async Task OnLineAsync(FrameResult frame, ReadOnlySequence<byte> line)
    {
        LastActivityTicks = Environment.TickCount64;
        PingSentTicks = 0;
        if (!await TcpDoor.PassFloodGate(flood, chat, session)) return;
        if (frame == FrameResult.TooLong) Lines(renderer.Numeric(417, session, "Input line was too long"));
        else await HandleLine(line);
        await Flush();
    }

    private async Task HandleLine(ReadOnlySequence<byte> bytes)
    {
        if (bytes.Length == 0) return;
        if (!TextRules.TryDecodeUtf8(bytes, out var line))
        {
            var lossy = TextRules.Utf8.GetString(bytes.ToArray());
            var parsed = IrcMessage.Parse(lossy);
            if (parsed is { Command: "USER" } && !Registered)
            {
                // A legacy client's realname in Latin-1 must not keep it from registering: it is read lossily.
                line = lossy;
            }
            else
            {
                // UTF8ONLY: a FAIL INVALID_UTF8 standard reply (naming the command when it can be read), whether or
                // not the client enabled standard-replies: a NOTICE would read as if the line had been taken.
                _label = Has(IrcCaps.LabeledResponse) && parsed is not null && parsed.Tags.TryGetValue("label", out var l) && l.Length is > 0 and <= 64 ? l : null;
                Lines(IrcMessage.Text(info.ServerName, "FAIL", parsed?.Command ?? "*", "INVALID_UTF8", "Message rejected: Grove accepts UTF-8 only"));
                return;
            }
        }
        // The 512-byte limit is for the message without its tags (RFC 1459 section 2.3; IRCv3 message-tags).
        var body = line;
        if (line.StartsWith('@'))
        {
            var space = line.IndexOf(' ');
            if (space < 0) return;
            // "Clients MUST NOT send messages with tag data exceeding 4096 bytes" (the server adds its own up to 8191).
            if (TextRules.Utf8.GetByteCount(line.AsSpan(0, space + 1)) > IrcServerInfo.MaxClientTagBytes)
            {
                Lines(renderer.Numeric(417, session, "Input line was too long"));
                return;
            }
            body = line[(space + 1)..];
        }
        // REGISTER is never relayed, and a password may be longer than a line (up to 1,024 characters): it gets more room.
        var limit = body.StartsWith("REGISTER ", StringComparison.OrdinalIgnoreCase) ? 2048 : IrcServerInfo.MaxLineBytes - 2;
        if (TextRules.Utf8.GetByteCount(body) > limit)
        {
            Lines(renderer.Numeric(417, session, "Input line was too long"));
            return;
        }
        var message = IrcMessage.Parse(line);
        if (message is null)
        {
            // Not a command by RFC 1459's grammar (letters or three digits), yet a word: answered as unknown, not ignored.
            var rest = body.TrimStart(' ');
            if (rest.StartsWith(':')) rest = rest.IndexOf(' ') is var sp and > 0 ? rest[(sp + 1)..].TrimStart(' ') : "";
            var word = rest.Split(' ', 2)[0];
            if (word.Length == 0) return;
            var tagsOnly = line.StartsWith('@') ? IrcMessage.Parse(line[..line.IndexOf(' ')] + " X") : null;
            _label = Has(IrcCaps.LabeledResponse) && tagsOnly is not null && tagsOnly.Tags.TryGetValue("label", out var l2) && l2.Length is > 0 and <= 64 ? l2 : null;
            Lines(renderer.Numeric(421, session, word, "Unknown command"));
            return;
        }
        _label = Has(IrcCaps.LabeledResponse) && message.Tags.TryGetValue("label", out var label) && label.Length is > 0 and <= 64 ? label : null;
        await Dispatch(message);
    }

    private async Task Dispatch(IrcMessage m)
    {
        switch (m.Command)
        {
            // Allowed before registration.
            case "CAP": await Cap(m); return;
            case "PASS": Pass(m); return;
            case "AUTHENTICATE": await Authenticate(m); return;
            case "NICK": await Nick(m); return;
            case "USER": await User(m); return;
            case "PING": Ping(m); return;
            case "PONG": return;
            case "QUIT": Emit(new ChatCommand(CommandKind.Quit, Text: m.Params.Count > 0 ? m[0] : "Client quit")); return;
        }
        if (!Registered)
        {
            Lines(renderer.Numeric(451, session, "You have not registered"));
            return;
        }
        switch (m.Command)
        {
            case "JOIN": Join(m); break;
            case "PART": Part(m); break;
            case "PRIVMSG": await Privmsg(m, MessageKind.Normal); break;
            case "REGISTER": await RegisterAccount(m); break;
            case "NOTICE": await Privmsg(m, MessageKind.Notice); break;
            case "TAGMSG": TagMsg(m); break;
            case "TOPIC": Topic(m); break;
            case "NAMES": Names(m); break;
            case "LIST": List(m); break;
            case "KICK": Kick(m); break;
            case "INVITE": Invite(m); break;
            case "MODE": Mode(m); break;
            case "WHO": Who(m); break;
            case "WHOIS": Whois(m); break;
            case "WHOWAS": Whowas(m); break;
            case "ISON": Ison(m); break;
            case "USERHOST": Userhost(m); break;
            case "MONITOR": MonitorCommand(m); break;
            case "CHATHISTORY": ChatHistory(m); break;
            case "SETNAME": SetName(m); break;
            case "AWAY": Emit(new ChatCommand(CommandKind.Away, Text: m.Params.Count > 0 ? m[0] : null)); break;
            case "OPER": Oper(m); break;
            case "KILL": Kill(m); break;
            case "WALLOPS": Wallops(m); break;
            case "MOTD": EmitQuery(view => { var sb = new System.Text.StringBuilder(); renderer.AppendMotd(sb, session); return sb.ToString(); }); break;
            case "LUSERS": EmitQuery(view => { var sb = new System.Text.StringBuilder(); renderer.AppendLusers(sb, session); return sb.ToString(); }); break;
            case "VERSION": Version(); break;
            case "TIME": Lines(renderer.Numeric(391, session, info.ServerName, DateTimeOffset.UtcNow.ToString("dddd MMMM d yyyy -- HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture))); break;
            case "ADMIN": Admin(); break;
            case "INFO": Info(); break;
            case "LINKS":
                // RFC 2812 RPL_LINKS "<mask> <server> :<hopcount> <server info>": this server, then its built-in services.
                Lines(renderer.Numeric(364, session, info.ServerName, info.ServerName, "0 " + info.Options.ServerDescription)
                    + renderer.Numeric(364, session, info.Options.ServicesName, info.ServerName, "1 Grove services")
                    + renderer.Numeric(365, session, "*", "End of /LINKS list"));
                break;
            case "HELP": Help(m); break;
            case "BAMBOO": Emit(new ChatCommand(CommandKind.Bamboo)); break;
            case "USERS": Lines(renderer.Numeric(446, session, "USERS has been disabled")); break;
            default: Lines(renderer.Numeric(421, session, m.Command, "Unknown command")); break;
        }
    }

    /// <summary>A command for the core, run in order with the rest of this line's work.</summary>
    private void Emit(ChatCommand command) => Steps.Add(command);

    /// <summary>Door-made lines, sent in order with the rest of this line's work.</summary>
    private void Lines(string lines)
    {
        if (lines.Length > 0) Steps.Add(new IrcLinesReply(TextRules.Utf8.GetBytes(lines)));
    }

    /// <summary>Lines built on the core's command loop, where they see the state after this client's earlier commands.</summary>
    private void EmitQuery(Func<LoopView, string> build) =>
        Steps.Add((Func<LoopView, ChatEvent?>)(view => build(view) is { Length: > 0 } lines ? new IrcLinesReply(TextRules.Utf8.GetBytes(lines)) : null));

    /// <summary>Hands this line's work to the core as one unit (with its label, if any).</summary>
    private async Task Flush()
    {
        if (_steps is not { Count: > 0 } && _label is null) return;
        var all = Steps;
        if (all.Count == 1 && all[0] is HistoryStep h)
        {
            // A history read answers on its own, after earlier messages are committed (the label goes with it).
            all.Clear();
            _label = null;
            await h.Start();
            return;
        }
        var steps = all.Where(x => x is not HistoryStep).ToArray();
        all.Clear();
        var label = _label;
        _label = null;
        await chat.RunUnitAsync(session, steps, label);
    }

    private void NeedMore(string command) => Lines(renderer.Numeric(461, session, command, "Not enough parameters"));
}
