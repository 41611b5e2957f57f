namespace Grove.Core.People;

/// <summary>
/// A door's rules for the people on it, given to <see cref="IChatCore.Connect"/>: the handlers read these, never the
/// door's kind. <see cref="Host"/> is the host part shown to others, never the IP address (a cloak naming the door).
/// </summary>
public sealed record DoorPolicy(bool SingleRoom, bool AutoJoinDefaultRoom, string Host)
{
    /// <summary>From this many people a room is large (see <see cref="NamesInLargeRoom"/>).</summary>
    public const int LargeRoom = 500;

    /// <summary>
    /// How many names joining a large room lists, with the count of everyone (null: every name, as IRC's NAMES must).
    /// When thousands arrive at once, a full list per arrival would make the arrivals cost the square of their number.
    /// </summary>
    public int? NamesInLargeRoom { get; init; }

    /// <summary>Many rooms at once, the default room joined on taking a name: a door that names no policy of its own.</summary>
    public static DoorPolicy ManyRooms(DoorKind door) => new(false, true, ChatServer.DoorName(door) + ".grove");
}
