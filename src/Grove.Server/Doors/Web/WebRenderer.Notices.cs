using System.Text.Json;
using Grove.Core.Events;
using Grove.Wire;

namespace Grove.Server.Doors.Web;

// Answers the browser shows as a notice: facts in words, a line each ("* " heading, "*   " details).
public sealed partial class WebRenderer
{
    private static void WriteNotice(Utf8JsonWriter w, ChatEvent ev)
    {
        switch (ev)
        {
            case TextReply t:
                Notice(w, t.Details.Select(d => "*   " + d).Prepend("* " + t.Heading));
                break;
            case WhoReply who:
                var total = Math.Max(who.Total, who.Names.Count);
                var more = total > who.Names.Count ? $", and {total - who.Names.Count} more" : "";
                Notice(w, [who.Room is null
                    ? $"* Online ({total}): {string.Join(", ", who.Names)}{more}"
                    : $"* In {who.Room} ({total}): {string.Join(", ", who.Names)}{more}"]);
                break;
            case BambooReply b:
                // A panda fact's line breaks are meant.
                var lines = b.Fact.TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToArray();
                lines[0] = "* 🐼 " + lines[0];
                Notice(w, lines);
                break;
            case InvitingReply i:
                Notice(w, [$"* You invited {i.Invitee} to {i.Room}."]);
                break;
            case AwayReply a:
                Notice(w, [a.Away ? "* You are marked as away." : "* You are no longer marked as away."]);
                break;
            case AwayNoticeReply a:
                Notice(w, [$"* {a.Name} is away: {a.Message}"]);
                break;
            case OperReply:
                Notice(w, ["* You are now a server operator."]);
                break;
            case WallopsEvent wallops:
                Notice(w, [$"* [wallops] {wallops.From}: {wallops.Text}"]);
                break;
            case AuditReply a:
                Notice(w, a.Lines.Count == 0
                    ? [$"* The audit log of {a.Scope} is empty."]
                    : a.Lines.Select(l => "*   " + l).Prepend($"* Audit log of {a.Scope}, newest first:"));
                break;
            default:
                // An event with no rendering here: an empty notice, which EveryEventIsCleanTests reports as unrendered.
                Notice(w, []);
                break;
        }
    }

    /// <summary>A notice of lines, each cleaned by the one rule (<see cref="TextRules.Clean"/>); the browser shows the breaks between them.</summary>
    private static void Notice(Utf8JsonWriter w, IEnumerable<string> lines)
    {
        w.WriteString("type", "notice");
        w.WriteString("text", string.Join("\n", lines.Select(l => TextRules.Clean(l, TextTarget.Line))).TrimEnd());
    }
}
