using System.Text;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

// The core's answers to history queries as IRCv3 chathistory (ircv3.net/specs/extensions/chathistory).
public sealed partial class IrcRenderer
{
    private void AppendHistory(StringBuilder sb, ChatEvent ev, Session me, IrcCaps caps)
    {
        switch (ev)
        {
            case HistoryPageReply h:
                AppendBatch(sb, caps, "chathistory", [h.Page.Target], h.Page.Messages.Select(e => TextRules.Utf8.GetString(Render(e, me).Span)));
                break;
            case HistoryDeniedReply d:
                // FAIL CHATHISTORY INVALID_TARGET <subcommand> <target> :text (the door put the subcommand in the query).
                sb.Append(IrcMessage.Text(info.ServerName, "FAIL", ["CHATHISTORY", "INVALID_TARGET", .. new[] { d.Detail, d.Asked }.Where(x => x.Length > 0),
                    d.Code == ErrorCode.ErroneousName ? "Not a channel or a nick" : "You are not in that channel"]));
                break;
            case ConversationsReply c:
                // draft/chathistory TARGETS: each target with the bare timestamp of its latest message.
                AppendBatch(sb, caps, "draft/chathistory-targets", [],
                    c.Conversations.Select(x => IrcMessage.Format(info.ServerName, "CHATHISTORY", "TARGETS", x.Target, Time(x.Latest))));
                break;
        }
    }
}
