namespace Grove.Core.History;

/// <summary>A point in a conversation: a message id or a time; neither is an open end ("*").</summary>
public readonly record struct HistoryRef(long? Id, DateTimeOffset? Time)
{
    public static readonly HistoryRef Open = default;
    public static HistoryRef ToId(long id) => new(id, null);
    public static HistoryRef ToTime(DateTimeOffset time) => new(null, time);
    public bool IsOpen => Id is null && Time is null;
}

/// <summary>Where a page starts (ircv3 chathistory's subcommands, which every door's history is a case of).</summary>
public enum HistoryAnchorKind { Latest, Before, After, Around, Between }

/// <summary>Which end of the window a limited page keeps: the newest messages (backward) or the oldest (forward).</summary>
public enum HistoryDirection { Backward, Forward }

/// <summary>
/// The anchor of a history page. <see cref="From"/> is the reference (for <see cref="HistoryAnchorKind.Latest"/>, an
/// optional lower bound); <see cref="To"/> is the upper bound of <see cref="HistoryAnchorKind.Between"/>.
/// </summary>
public sealed record HistoryAnchor(HistoryAnchorKind Kind, HistoryRef From, HistoryRef To, HistoryDirection Direction)
{
    /// <summary>The newest messages, after <paramref name="since"/> when it is given.</summary>
    public static HistoryAnchor Latest(HistoryRef since = default) => new(HistoryAnchorKind.Latest, since, default, HistoryDirection.Backward);
    public static HistoryAnchor Before(HistoryRef point) => new(HistoryAnchorKind.Before, point, default, HistoryDirection.Backward);
    public static HistoryAnchor After(HistoryRef point) => new(HistoryAnchorKind.After, point, default, HistoryDirection.Forward);
    /// <summary>Half the limit before the point, the rest from the point on (the message at it included).</summary>
    public static HistoryAnchor Around(HistoryRef point) => new(HistoryAnchorKind.Around, point, default, HistoryDirection.Forward);

    /// <summary>
    /// Messages strictly between two points given in either order: from the first towards the second, so a limited
    /// page keeps the end nearest the first point (chathistory BETWEEN).
    /// </summary>
    public static HistoryAnchor Between(HistoryRef first, HistoryRef second)
    {
        var forward = first.Id is { } a && second.Id is { } b
            ? a < b
            : (first.Time ?? DateTimeOffset.MinValue) <= (second.Time ?? DateTimeOffset.MaxValue);
        return forward
            ? new(HistoryAnchorKind.Between, first, second, HistoryDirection.Forward)
            : new(HistoryAnchorKind.Between, second, first, HistoryDirection.Backward);
    }
}

/// <summary>
/// One request for history: who asks (a person, or nobody for the public web API), a room (a name starting with a room
/// prefix) or the private conversation with a person, an anchor, and a limit that the core clamps to
/// <see cref="MaxLimit"/>. The core decides on its command loop whether the asker may read it.
/// </summary>
public sealed record HistoryQuery
{
    /// <summary>The most messages any page holds, whatever a door asks for (each door may promise less).</summary>
    public const int MaxLimit = 500;

    public HistoryQuery(People.Session? asker, string target, HistoryAnchor anchor, int limit)
    {
        Asker = asker;
        Target = target;
        Anchor = anchor;
        Limit = Math.Clamp(limit, 1, MaxLimit);
    }

    /// <summary>Null: the public, who read only public rooms' messages sent behind no gate.</summary>
    public People.Session? Asker { get; }
    public string Target { get; }
    public HistoryAnchor Anchor { get; init; }
    public int Limit { get; }

    /// <summary>What the door asks for, returned with the answer for its renderer (the core reads neither).</summary>
    public Events.HistoryUse Use { get; init; }
    public string Detail { get; init; } = "";
}
