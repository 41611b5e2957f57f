using Grove.Core.People;

namespace Grove.Core.Events;

/// <summary>
/// A door's way of turning events into bytes. Implementations MUST be safe to call from the core's delivery loop
/// and MUST NOT block.
/// </summary>
public interface IEventRenderer
{
    /// <summary>
    /// A non-zero number shared by every recipient that gets byte-identical output for any event (same protocol,
    /// same options); 0 means "render for this recipient alone". Keys must be unique across doors.
    /// </summary>
    int EncodingKey(Session recipient);

    /// <summary>The bytes for this event, or empty when the recipient's door shows nothing for it.</summary>
    ReadOnlyMemory<byte> Render(ChatEvent ev, Session recipient);
}
