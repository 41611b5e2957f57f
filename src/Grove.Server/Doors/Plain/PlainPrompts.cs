using Grove.Core.Events;

namespace Grove.Server.Doors.Plain;

// The plain door's own prompts, sent in order with the core's answers; only PlainRenderer shows them.

/// <summary>"What is your name?", asked again while the person has none.</summary>
public sealed class NamePromptReply : ReplyEvent;

/// <summary>Asked after a registered name is typed at the name prompt; <see cref="Online"/> when the account is.</summary>
public sealed class PasswordPromptReply(string name, bool online) : ReplyEvent
{
    public string Name { get; } = name;
    public bool Online { get; } = online;
}
