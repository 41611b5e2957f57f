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
    private readonly record struct Reference(long? Id, DateTimeOffset? Time, bool Star);

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
            // Room names are read on the command loop; the store is read on the commit loop, which must not touch rooms.
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            Read(view => { foreach (var r in view.RoomsOf(session)) names[r.Key] = r.Name; return null; },
                store => new ChatHistoryReply("draft/chathistory-targets", [],
                    // draft/chathistory: targets in the order of their latest message, earliest first, each with the bare
                    // timestamp of that message (irctest chathistory TARGETS); the limit keeps the earliest.
                    // A target whose latest message is past the window is not listed (irctest: "excludes updated targets").
                    store.Conversations(session.HistoryOwners, names.Keys.ToArray(), from, DateTimeOffset.MaxValue.AddYears(-1000), MaxChatHistory)
                        .Where(c => c.Latest < to).OrderBy(c => c.Latest).Take(tlimit)
                        .Select(c => (ChatEvent)new RawReply(Grove.Wire.TextRules.Utf8.GetBytes(IrcMessage.Format(info.ServerName, "CHATHISTORY", "TARGETS",
                            names.GetValueOrDefault(NameRules.Fold(c.Target)) ?? c.Target, IrcRenderer.Time(c.Latest)))))
                        .ToList()));
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
        limit = Math.Min(limit, MaxChatHistory);
        var isRoom = NameRules.LooksLikeRoom(target);
        var me = NameRules.Fold(session.Name!);
        var display = target;
        Admission? reader = null;
        Read(view =>
        {
            if (isRoom)
            {
                var room = view.RoomNamed(target);
                if (room is null || !room.Contains(session)) return new RawReply(Grove.Wire.TextRules.Utf8.GetBytes(Fail("INVALID_TARGET", sub, "You are not in that channel", target)));
                display = room.Name;
                reader = room.AdmissionOf(session);
            }
            else if (NameRules.ValidateName(target) is not null)
                return new RawReply(Grove.Wire.TextRules.Utf8.GetBytes(Fail("INVALID_TARGET", sub, "Not a channel or a nick", target)));
            return null;
        }, store =>
        {
            var baseRange = new HistoryRange(isRoom ? NameRules.Fold(target) : null, isRoom ? null : me, isRoom ? null : NameRules.Fold(target), limit, NewestFirst: true)
                { Owners = session.HistoryOwners, Reader = reader };
            IReadOnlyList<StoredMessage> rows = sub switch
            {
                "LATEST" => store.Range(After(baseRange, r1)),
                "BEFORE" => store.Range(Before(baseRange, r1)),
                "AFTER" => store.Range(After(baseRange, r1) with { NewestFirst = false }),
                "AROUND" => Around(store, baseRange, r1, limit),
                _ => Between(store, baseRange, r1, r2),
            };
            var events = rows.Select(row => row.Room is not null
                ? (ChatEvent)new RoomMessageEvent(row.Id, row.Time, display, row.From, row.Text, row.Kind) { At = row.Time }
                : new PrivateMessageEvent(row.Id, row.Time, row.From, row.To!, row.Text, row.Kind) { At = row.Time }).ToList();
            return new ChatHistoryReply("chathistory", [display], events);
        });

        void Read(Func<LoopView, ChatEvent?> check, Func<IMessageStore, ChatEvent> read) =>
            Steps.Add(new HistoryStep(check, read, label));
    }

    private static HistoryRange After(HistoryRange r, Reference x) => x.Star ? r : r with { AfterId = x.Id, After = x.Time };
    private static HistoryRange Before(HistoryRange r, Reference x) => r with { BeforeId = x.Id, Before = x.Time };

    private static IReadOnlyList<StoredMessage> Around(IMessageStore store, HistoryRange r, Reference x, int limit)
    {
        var before = store.Range(Before(r, x) with { Limit = limit / 2 });
        var after = store.Range(r with
        {
            NewestFirst = false,
            Limit = limit - before.Count,
            AfterId = x.Id is { } id ? id - 1 : null,
            After = x.Time is { } t ? t.AddMilliseconds(-1) : null,
        });
        return [.. before, .. after];
    }

    private static IReadOnlyList<StoredMessage> Between(IMessageStore store, HistoryRange r, Reference a, Reference b)
    {
        static DateTimeOffset? T(Reference x) => x.Time;
        var forward = a.Id is { } ai && b.Id is { } bi ? ai < bi : (T(a) ?? DateTimeOffset.MinValue) <= (T(b) ?? DateTimeOffset.MaxValue);
        var (lo, hi) = forward ? (a, b) : (b, a);
        return store.Range(r with { NewestFirst = !forward, AfterId = lo.Id, After = lo.Time, BeforeId = hi.Id, Before = hi.Time });
    }
}

/// <summary>A CHATHISTORY read: checked on the command loop, read from the store after earlier commits.</summary>
internal sealed record HistoryStep(Func<LoopView, ChatEvent?> Check, Func<IMessageStore, ChatEvent> Read, string? Label);
