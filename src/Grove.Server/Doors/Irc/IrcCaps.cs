namespace Grove.Server.Doors.Irc;

/// <summary>The IRCv3 capabilities Grove offers (ircv3.net). The low bits change how shared events render.</summary>
[Flags]
public enum IrcCaps
{
    None = 0,
    // Bits that change the rendering of events many people receive: part of the encoding key.
    MessageTags = 1 << 0,
    ServerTime = 1 << 1,
    AwayNotify = 1 << 2,
    InviteNotify = 1 << 3,
    SetName = 1 << 4,
    AccountTag = 1 << 5,
    AccountNotify = 1 << 6,
    ExtendedJoin = 1 << 7,
    // Bits that only change replies to this client.
    EchoMessage = 1 << 8,
    MultiPrefix = 1 << 9,
    UserhostInNames = 1 << 10,
    Batch = 1 << 11,
    LabeledResponse = 1 << 12,
    StandardReplies = 1 << 13,
    ChatHistory = 1 << 14,
    CapNotify = 1 << 15,
    Chghost = 1 << 16,
    Sasl = 1 << 17,

    SharedRenderingMask = MessageTags | ServerTime | AwayNotify | InviteNotify | SetName | AccountTag | AccountNotify | ExtendedJoin,
}

public static class IrcCapNames
{
    /// <summary>Every capability offered, in CAP LS order, with its value for CAP LS 302 (null when it has none).</summary>
    public static readonly IReadOnlyList<(string Name, IrcCaps Cap, string? Value)> Offered =
    [
        ("account-notify", IrcCaps.AccountNotify, null),
        ("account-tag", IrcCaps.AccountTag, null),
        ("batch", IrcCaps.Batch, null),
        ("cap-notify", IrcCaps.CapNotify, null),
        ("chghost", IrcCaps.Chghost, null),
        ("draft/chathistory", IrcCaps.ChatHistory, null),
        ("echo-message", IrcCaps.EchoMessage, null),
        ("extended-join", IrcCaps.ExtendedJoin, null),
        ("invite-notify", IrcCaps.InviteNotify, null),
        ("labeled-response", IrcCaps.LabeledResponse, null),
        ("message-tags", IrcCaps.MessageTags, null),
        ("multi-prefix", IrcCaps.MultiPrefix, null),
        ("sasl", IrcCaps.Sasl, "PLAIN"),
        ("server-time", IrcCaps.ServerTime, null),
        ("setname", IrcCaps.SetName, null),
        ("standard-replies", IrcCaps.StandardReplies, null),
        ("userhost-in-names", IrcCaps.UserhostInNames, null),
        ("away-notify", IrcCaps.AwayNotify, null),
    ];

    public static IrcCaps? Find(string name)
    {
        foreach (var (n, cap, _) in Offered)
            if (n == name) return cap;
        return null;
    }
}
