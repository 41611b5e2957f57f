using System.Globalization;
using Grove.Core;
using Grove.Core.Names;
using Grove.Server.Hosting;

namespace Grove.Server.Doors.Irc;

/// <summary>What the IRC door says about the server: its name, version, limits (RPL_ISUPPORT) and message of the day.</summary>
public sealed class IrcServerInfo(GroveServerOptions options, ChatServer chat)
{
    public const string Version = "grove-0.1";
    public const string ServiceNick = "Grove";
    public const string ServicePrefix = "Grove!service@services.grove";
    public const int MaxLineBytes = 512;       // RFC 1459: including CR LF
    public const int MaxTagBytes = 8191;       // IRCv3 message-tags: all tags of a line, including the '@' and the space
    public const int MaxClientTagBytes = 4096; // IRCv3 message-tags: what a client may send, including the '@' and the space
    public const int MaxTargets = 4;           // PRIVMSG/NOTICE/KICK/JOIN/PART targets per line (TARGMAX)
    public const int MaxAwayLength = TextLimits.MaxReasonLength;
    public const int MaxKickLength = TextLimits.MaxReasonLength;

    public string ServerName { get; } = options.ServerName;
    public string Network { get; } = options.NetworkName;
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;
    public ChatServer Chat { get; } = chat;
    public GroveServerOptions Options { get; } = options;

    /// <summary>The most users seen at once by any LUSERS (every IRC registration shows one): 265/266's "max".</summary>
    public int PeakUsers(int now)
    {
        int peak;
        while ((peak = Volatile.Read(ref _peakUsers)) < now && Interlocked.CompareExchange(ref _peakUsers, now, peak) != peak) { }
        return Math.Max(peak, now);
    }
    private int _peakUsers;

    public IReadOnlyList<string> MotdLines { get; } = options.Motd.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.Length > 0).ToList();

    /// <summary>The RPL_ISUPPORT tokens; every limit named here is enforced.</summary>
    public IReadOnlyList<string> Support { get; } =
    [
        $"AWAYLEN={MaxAwayLength}",
        "BOT=B",
        "CASEMAPPING=ascii",
        $"CHANLIMIT=#:{options.MaxRoomsPerPerson}",
        "CHANMODES=bq,k,l,imnst",
        "EXTBAN=$,a",
        $"CHATHISTORY={IrcConnection.MaxChatHistory}",
        $"CHANNELLEN={NameRules.MaxRoomNameLength + 1}",
        "CHANTYPES=#",
        "ELIST=U",
        $"KICKLEN={MaxKickLength}",
        $"MAXLIST=bq:{ChatServer.MaxBansPerRoom}",
        $"MAXTARGETS={MaxTargets}",
        $"MONITOR={ChatServer.MaxWatched}",
        "MSGREFTYPES=msgid,timestamp",
        "MODES=20",
        $"NETWORK={options.NetworkName}",
        $"NICKLEN={NameRules.MaxNameLength}",
        "PREFIX=(ov)@+",
        "SAFELIST",
        "STATUSMSG=@+",
        $"TARGMAX=JOIN:{MaxTargets},PART:{MaxTargets},KICK:{MaxTargets},PRIVMSG:{MaxTargets},NOTICE:{MaxTargets},NAMES:1,WHOIS:1,USERHOST:5",
        $"TOPICLEN={TextLimits.MaxTopicLength}",
        $"USERLEN={UserLength}",
        "UTF8ONLY",
        "WHOX",
    ];

    public const int UserLength = 16;

    public string CreatedText => Created.ToString("ddd MMM d yyyy 'at' HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
