using System.Globalization;
using System.Text;
using Grove.Core.Commands;
using Grove.Core.Events;
using Grove.Core.People;
using Grove.Core.Rooms;
using Grove.Wire;
using Grove.Wire.Irc;

namespace Grove.Server.Doors.Irc;

// The registration burst (001-005, LUSERS, MOTD), also sent alone for LUSERS and MOTD.
public sealed partial class IrcRenderer
{
    /// <summary>The registration burst: 001-005, LUSERS and the MOTD.</summary>
    private void AppendWelcome(StringBuilder sb, Session me)
    {
        sb.Append(Numeric(1, me, $"Welcome to the {info.Network} IRC Network {me.Origin}"));
        sb.Append(Numeric(2, me, $"Your host is {Server}, running version {IrcServerInfo.Version}"));
        sb.Append(Numeric(3, me, $"This server was created {info.CreatedText}"));
        sb.Append(Numeric(4, me, Server, IrcServerInfo.Version, "Biow", "biklmnoqstv", "bklovq"));
        AppendSupport(sb, me);
        AppendLusers(sb, me);
        AppendMotd(sb, me);
    }

    public void AppendSupport(StringBuilder sb, Session me)
    {
        for (var i = 0; i < info.Support.Count; i += 12)
            sb.Append(Numeric(5, me, [.. info.Support.Skip(i).Take(12), "are supported by this server"]));
    }

    public void AppendLusers(StringBuilder sb, Session me)
    {
        var chat = info.Chat;
        int users = 0, unknown = 0, invisible = 0, ops = 0, local = 0;
        // In a cluster the people of the other nodes count as users too; "local" is this node's own.
        foreach (var s in chat.EveryoneConnected)
        {
            if (s.State == SessionState.Unregistered) { if (!s.IsRemote) unknown++; continue; }
            // One account's other connections are the same user.
            if (s.State != SessionState.Registered || s.IsExtraConnection) continue;
            users++;
            if (!s.IsRemote) local++;
            if (s.Invisible) invisible++;
            if (s.IsOperator) ops++;
        }
        // A cluster's nodes are its servers: every one holds every person, and this one is linked to the others.
        var servers = chat.ServerCount;
        sb.Append(Numeric(251, me, $"There are {users - invisible} users and {invisible} invisible on {servers} servers"));
        sb.Append(Numeric(252, me, ops.ToString(CultureInfo.InvariantCulture), "operator(s) online"));
        sb.Append(Numeric(253, me, unknown.ToString(CultureInfo.InvariantCulture), "unknown connection(s)"));
        sb.Append(Numeric(254, me, chat.RoomCount.ToString(CultureInfo.InvariantCulture), "channels formed"));
        sb.Append(Numeric(255, me, $"I have {local} clients and {servers - 1} servers"));
        var peak = info.PeakUsers(users);
        var (n, max) = (users.ToString(CultureInfo.InvariantCulture), peak.ToString(CultureInfo.InvariantCulture));
        var l = local.ToString(CultureInfo.InvariantCulture);
        sb.Append(Numeric(265, me, l, max, $"Current local users {local}, max {peak}"));
        sb.Append(Numeric(266, me, n, max, $"Current global users {users}, max {peak}"));
    }

    public void AppendMotd(StringBuilder sb, Session me)
    {
        if (info.MotdLines.Count == 0)
        {
            sb.Append(Numeric(422, me, "MOTD File is missing"));
            return;
        }
        sb.Append(Numeric(375, me, $"- {Server} Message of the day - "));
        foreach (var l in info.MotdLines) sb.Append(Numeric(372, me, "- " + l));
        sb.Append(Numeric(376, me, "End of /MOTD command."));
    }
}
