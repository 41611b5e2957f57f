using System.Text;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

// IRCv3 batches: labeled responses, and the core's answers to history queries as chathistory
// (ircv3.net/specs/extensions/chathistory).
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

    /// <summary>
    /// IRCv3 labeled-response: no line gives ACK, one line carries the label, several are wrapped in a
    /// labeled-response batch. Without the capability the lines go out as they are.
    /// </summary>
    private void AppendLabeled(StringBuilder sb, LabeledReply l, Session me, IrcCaps caps)
    {
        var inner = new StringBuilder();
        // A message to yourself with echo-message: the echo is the labeled answer, the copy you receive as its
        // recipient is delivery, not response (irctest labeled_responses: "only one message contains the label").
        var selfCopy = (caps & IrcCaps.EchoMessage) != 0 && l.Events.Any(e => e is EchoReply or PrivateSentReply);
        foreach (var e in l.Events) if (!(selfCopy && e is PrivateMessageEvent or TagMsgEvent)) Append(inner, e, me);
        if (selfCopy) foreach (var e in l.Events) if (e is PrivateMessageEvent or TagMsgEvent) Append(sb, e, me);
        var text = inner.ToString();
        if ((caps & IrcCaps.LabeledResponse) == 0) { sb.Append(text); return; }
        var label = "label=" + IrcMessage.EscapeTagValue(l.Label);
        var count = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length;
        if (count == 0) sb.Append('@').Append(label).Append(' ').Append(IrcMessage.Format(Server, "ACK"));
        else if (count == 1) sb.Append(TagEachLine(text, label, skipIfBatched: false));
        else
        {
            var id = NewBatchId();
            sb.Append('@').Append(label).Append(' ').Append(IrcMessage.Format(Server, "BATCH", "+" + id, "labeled-response"));
            sb.Append(TagEachLine(text, "batch=" + id, skipIfBatched: true));
            sb.Append(IrcMessage.Format(Server, "BATCH", "-" + id));
        }
    }

    /// <summary>Lines in a batch of the given type when the client has the batch capability; plain lines otherwise.</summary>
    public void AppendBatch(StringBuilder sb, IrcCaps caps, string type, IReadOnlyList<string> parameters, IEnumerable<string> lines)
    {
        var text = string.Concat(lines);
        if ((caps & IrcCaps.Batch) == 0) { sb.Append(text); return; }
        var id = NewBatchId();
        sb.Append(IrcMessage.Format(Server, "BATCH", ["+" + id, type, .. parameters]));
        if (text.Length > 0) sb.Append(TagEachLine(text, "batch=" + id, skipIfBatched: false));
        sb.Append(IrcMessage.Format(Server, "BATCH", "-" + id));
    }
}
