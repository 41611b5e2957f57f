using System.Globalization;
using System.Text;
using Grove.Core;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.History;
using Grove.Core.Names;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

// IRCv3 commands: TAGMSG, MONITOR, CHATHISTORY, SETNAME (ircv3.net specifications).
public sealed partial class IrcConnection
{
    /// <summary>CHATHISTORY returns at most this many messages per request (ISUPPORT CHATHISTORY).</summary>
    public const int MaxChatHistory = 100;

    /// <summary>The client-only tags of a message ("+name[=value]"), escaped again for relaying; null when none.</summary>
    private static string? ClientTags(IrcMessage m)
    {
        var tags = m.Tags.Where(t => t.Key.StartsWith('+')).ToList();
        if (tags.Count == 0) return null;
        return IrcMessage.FormatTags(tags);
    }

    // TAGMSG <target>: "a message with no text, only tags" (message-tags); needs the capability.
    private void TagMsg(IrcMessage m)
    {
        if (!Has(IrcCaps.MessageTags)) { Lines(renderer.Numeric(421, session, "TAGMSG", "Unknown command")); return; }
        if (m.Params.Count == 0) { NeedMore("TAGMSG"); return; }
        var tags = ClientTags(m);
        foreach (var target in Targets(m[0]))
            Emit(new ChatCommand(CommandKind.TagMsg, Target: target) { ClientTags = tags });
    }

    // SETNAME <realname> (setname): "clients MUST NOT send SETNAME unless the capability has been negotiated".
    private void SetName(IrcMessage m)
    {
        if (!Has(IrcCaps.SetName)) { Lines(renderer.Numeric(421, session, "SETNAME", "Unknown command")); return; }
        if (m.Params.Count == 0 || m[0].Length == 0)
        {
            Lines(IrcMessage.Text(info.ServerName, "FAIL", "SETNAME", "INVALID_REALNAME", "Realname is not valid"));
            return;
        }
        Emit(new ChatCommand(CommandKind.SetName, Text: m[0]));
    }

    // MONITOR + targets | - targets | C | L | S
    private void MonitorCommand(IrcMessage m)
    {
        var op = m.Params.Count > 0 ? m[0] : "";
        var names = m.Params.Count > 1 ? m[1].Split(',', StringSplitOptions.RemoveEmptyEntries).ToList() : [];
        switch (op)
        {
            case "+":
            case "-":
                if (names.Count == 0) { NeedMore("MONITOR"); return; }
                Emit(new ChatCommand(CommandKind.Monitor, Text: op, Args: names));
                break;
            case "C":
            case "c":
                Emit(new ChatCommand(CommandKind.Monitor, Text: "C"));
                break;
            case "L":
            case "l":
                EmitQuery(view =>
                {
                    var sb = new StringBuilder();
                    var list = view.Watching(session).ToList();
                    for (var i = 0; i < list.Count; i += 20) sb.Append(renderer.Numeric(732, session, string.Join(',', list.Skip(i).Take(20))));
                    sb.Append(renderer.Numeric(733, session, "End of MONITOR list"));
                    return sb.ToString();
                });
                break;
            case "S":
            case "s":
                EmitQuery(view =>
                {
                    var list = view.Watching(session).ToList();
                    var online = list.Select(view.FindPerson).OfType<Session>().Select(p => p.Origin.ToString()).ToList();
                    var offline = list.Where(n => view.FindPerson(n) is null).ToList();
                    return (online.Count > 0 ? renderer.Numeric(730, session, string.Join(',', online)) : "")
                        + (offline.Count > 0 ? renderer.Numeric(731, session, string.Join(',', offline)) : "");
                });
                break;
            default:
                NeedMore("MONITOR");
                break;
        }
    }

    private string Fail(string code, string context, string text, params string[] extra) =>
        IrcMessage.Text(info.ServerName, "FAIL", ["CHATHISTORY", code, .. extra.Prepend(context).Where(x => x.Length > 0), text]);

    /// <summary>A message reference: msgid=N or timestamp=ISO-8601; "*" where allowed.</summary>
    private readonly record struct Reference(long? Id, DateTimeOffset? Time, bool Star)
    {
        public HistoryRef Ref => new(Id, Time);
    }

    private static bool TryReference(string text, bool allowStar, out Reference reference)
    {
        reference = default;
        if (text == "*" && allowStar) { reference = new Reference(null, null, true); return true; }
        if (text.StartsWith("msgid=", StringComparison.Ordinal) && long.TryParse(text.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            reference = new Reference(id, null, false);
            return true;
        }
        if (text.StartsWith("timestamp=", StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text.AsSpan(10), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            reference = new Reference(null, t, false);
            return true;
        }
        return false;
    }

    // CHATHISTORY LATEST|BEFORE|AFTER|AROUND <target> <ref> <limit> | BETWEEN <target> <ref> <ref> <limit> | TARGETS <ts> <ts> <limit>
    private void ChatHistory(IrcMessage m)
    {
        var sub = m[0].ToUpperInvariant();
        var label = _label;
        if (sub == "TARGETS")
        {
            if (m.Params.Count < 4) { Lines(Fail("NEED_MORE_PARAMS", sub, "Missing parameters")); return; }
            if (!TryReference(m[1], false, out var a) || !TryReference(m[2], false, out var b) || a.Time is null || b.Time is null
                || !int.TryParse(m[3], out var tlimit) || tlimit < 1)
            {
                Lines(Fail("INVALID_PARAMS", sub, "Timestamps and a positive limit are needed"));
                return;
            }
            var from = a.Time < b.Time ? a.Time.Value : b.Time.Value;
            var to = a.Time < b.Time ? b.Time.Value : a.Time.Value;
            tlimit = Math.Min(tlimit, MaxChatHistory);
            Steps.Add(new HistoryStep(() => chat.ReadConversationsAsync(session, from, to, tlimit, label)));
            return;
        }
        var needed = sub == "BETWEEN" ? 5 : 4;
        if (sub is not ("LATEST" or "BEFORE" or "AFTER" or "AROUND" or "BETWEEN"))
        {
            Lines(Fail("INVALID_PARAMS", sub.Length > 0 ? sub : "*", "Unknown subcommand"));
            return;
        }
        if (m.Params.Count < needed) { Lines(Fail("NEED_MORE_PARAMS", sub, "Missing parameters")); return; }
        var target = m[1];
        if (!TryReference(m[2], sub == "LATEST", out var r1)
            || sub == "BETWEEN" && !TryReference(m[3], false, out _)
            || !int.TryParse(m[needed - 1], out var limit) || limit < 1)
        {
            Lines(Fail("INVALID_PARAMS", sub, "Invalid message reference or limit"));
            return;
        }
        TryReference(sub == "BETWEEN" ? m[3] : "*", true, out var r2);
        var anchor = sub switch
        {
            "LATEST" => HistoryAnchor.Latest(r1.Ref),
            "BEFORE" => HistoryAnchor.Before(r1.Ref),
            "AFTER" => HistoryAnchor.After(r1.Ref),
            "AROUND" => HistoryAnchor.Around(r1.Ref),
            _ => HistoryAnchor.Between(r1.Ref, r2.Ref),
        };
        var query = new HistoryQuery(session, target, anchor, Math.Min(limit, MaxChatHistory)) { Use = HistoryUse.ChatHistory, Detail = sub };
        Steps.Add(new HistoryStep(() => chat.ReadHistoryAsync(query, label)));
    }
}

/// <summary>A CHATHISTORY read, started on its own (the core answers it after earlier messages are committed).</summary>
internal sealed record HistoryStep(Func<ValueTask> Start);
