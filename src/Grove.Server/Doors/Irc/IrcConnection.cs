using System.Buffers;
using System.IO.Pipelines;
using Grove.Core;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

/// <summary>
/// One IRC client: framing, registration (PASS, NICK, USER, CAP) and the command table. Commands that change chat
/// state go to the core; queries (WHO, NAMES, WHOIS…) run on the core's command loop through
/// <see cref="ChatServer.QueryAsync"/> so they see the state after everything this client sent before.
/// Only the connection's read loop calls into this object.
/// </summary>
public sealed partial class IrcConnection(ChatServer chat, IrcServerInfo info, IrcRenderer renderer, Session session)
{
    private string? _pendingNick;
    private string? _user;
    private bool _capNegotiating;

    /// <summary>When the client last sent anything (for the ping timer).</summary>
    public long LastActivityTicks { get; private set; } = Environment.TickCount64;
    /// <summary>When the server sent a PING still unanswered, or 0.</summary>
    public long PingSentTicks { get; set; }

    private bool Registered => session.State == SessionState.Registered;
    private string Me => session.Name ?? _pendingNick ?? "*";

    public async Task ReadLoop(PipeReader input)
    {
        // A line is at most 512 bytes (with CR LF) plus up to 8191 bytes of tags; the framer drops anything longer.
        var framer = new LineFramer(IrcServerInfo.MaxLineBytes + IrcServerInfo.MaxTagBytes);
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            try
            {
                while (!session.IsClosed)
                {
                    var frame = framer.TryReadLine(ref buffer, out var line);
                    if (frame == FrameResult.NeedMore) break;
                    LastActivityTicks = Environment.TickCount64;
                    PingSentTicks = 0;
                    if (frame == FrameResult.TooLong)
                    {
                        await Reply(renderer.Numeric(417, session, "Input line was too long"));
                        continue;
                    }
                    await HandleLine(line);
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (result.IsCompleted || result.IsCanceled || session.IsClosed) return;
        }
    }

    private async Task HandleLine(ReadOnlySequence<byte> bytes)
    {
        if (bytes.Length == 0) return;
        if (!TextRules.TryDecodeUtf8(bytes, out var line))
        {
            await Reply(IrcMessage.Text(info.ServerName, "NOTICE", Me, "That line was not valid UTF-8 and was dropped."));
            return;
        }
        // The 512-byte limit is for the message without its tags (RFC 1459 section 2.3; IRCv3 message-tags).
        var body = line;
        if (line.StartsWith('@'))
        {
            var space = line.IndexOf(' ');
            if (space < 0) return;
            if (TextRules.Utf8.GetByteCount(line.AsSpan(0, space + 1)) > IrcServerInfo.MaxTagBytes)
            {
                await Reply(renderer.Numeric(417, session, "Input line was too long"));
                return;
            }
            body = line[(space + 1)..];
        }
        if (TextRules.Utf8.GetByteCount(body) > IrcServerInfo.MaxLineBytes - 2)
        {
            await Reply(renderer.Numeric(417, session, "Input line was too long"));
            return;
        }
        var message = IrcMessage.Parse(line);
        if (message is null) return;
        await Dispatch(message);
    }

    private async Task Dispatch(IrcMessage m)
    {
        switch (m.Command)
        {
            // Allowed before registration.
            case "CAP": await Cap(m); return;
            case "PASS": await Pass(m); return;
            case "NICK": await Nick(m); return;
            case "USER": await User(m); return;
            case "PING": await Ping(m); return;
            case "PONG": return;
            case "QUIT": await chat.SubmitAsync(session, new ChatCommand(CommandKind.Quit, Text: m.Params.Count > 0 ? m[0] : "Client quit")); return;
        }
        if (!Registered)
        {
            await Reply(renderer.Numeric(451, session, "You have not registered"));
            return;
        }
        switch (m.Command)
        {
            case "JOIN": await Join(m); break;
            case "PART": await Part(m); break;
            case "PRIVMSG": await Privmsg(m, MessageKind.Normal); break;
            case "NOTICE": await Privmsg(m, MessageKind.Notice); break;
            case "TOPIC": await Topic(m); break;
            case "NAMES": await Names(m); break;
            case "LIST": await List(m); break;
            case "KICK": await Kick(m); break;
            case "INVITE": await Invite(m); break;
            case "MODE": await Mode(m); break;
            case "WHO": await Who(m); break;
            case "WHOIS": await Whois(m); break;
            case "WHOWAS": await Whowas(m); break;
            case "ISON": await Ison(m); break;
            case "USERHOST": await Userhost(m); break;
            case "AWAY": await chat.SubmitAsync(session, new ChatCommand(CommandKind.Away, Text: m.Params.Count > 0 ? m[0] : null)); break;
            case "OPER": await Oper(m); break;
            case "KILL": await Kill(m); break;
            case "WALLOPS": await Wallops(m); break;
            case "MOTD": await Query(() => { var sb = new System.Text.StringBuilder(); renderer.AppendMotd(sb, session); return sb.ToString(); }); break;
            case "LUSERS": await Query(() => { var sb = new System.Text.StringBuilder(); renderer.AppendLusers(sb, session); return sb.ToString(); }); break;
            case "VERSION": await Version(); break;
            case "TIME": await Reply(renderer.Numeric(391, session, info.ServerName, DateTimeOffset.UtcNow.ToString("dddd MMMM d yyyy -- HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture))); break;
            case "ADMIN": await Admin(); break;
            case "INFO": await Info(); break;
            case "LINKS": await Reply(renderer.Numeric(364, session, info.ServerName, info.ServerName, "0 Grove") + renderer.Numeric(365, session, "*", "End of /LINKS list")); break;
            case "HELP": await Help(m); break;
            case "BAMBOO": await chat.SubmitAsync(session, new ChatCommand(CommandKind.Bamboo)); break;
            case "USERS": await Reply(renderer.Numeric(446, session, "USERS has been disabled")); break;
            default: await Reply(renderer.Numeric(421, session, m.Command, "Unknown command")); break;
        }
    }

    /// <summary>Sends door-made lines in order with everything else the core sends this client.</summary>
    private ValueTask Reply(string lines) => chat.ReplyAsync(session, new RawReply(TextRules.Utf8.GetBytes(lines)));

    /// <summary>Builds lines on the core's command loop, where they see the state after this client's earlier commands.</summary>
    private ValueTask Query(Func<string> build) =>
        chat.QueryAsync(session, () => build() is { Length: > 0 } lines ? new RawReply(TextRules.Utf8.GetBytes(lines)) : null);

    private async Task NeedMore(string command) => await Reply(renderer.Numeric(461, session, command, "Not enough parameters"));
}
