using Grove.Core.Events;
using Grove.Core.Rooms;

namespace Grove.Core.Tests;

/// <summary>A room's ring of recent messages, after messages that were never stored are taken out of it.</summary>
public sealed class RecentMessagesUnitTests
{
    private static RoomMessageEvent Message(long id) => new(id, DateTimeOffset.UnixEpoch, "#r", "alice", $"m{id}", MessageKind.Normal);

    [Fact]
    public void Removing_keeps_the_others_in_order_and_a_ring_that_was_full_no_longer_claims_to_hold_everything()
    {
        var ring = new RecentMessages(4);
        for (var id = 1; id <= 6; id++) ring.Add(Message(id)); // holds 3..6; 1 and 2 are only in the store
        ring.Remove(new HashSet<long> { 4, 5 });
        Assert.Equal([3L, 6L], ring.Latest(2, Admission.Everything)!.Select(m => m.Id));
        // Asked for more than it holds, it must send the caller to the store (null), not answer "that is all".
        Assert.Null(ring.Latest(3, Admission.Everything));
        ring.Add(Message(7));
        Assert.Equal([3L, 6L, 7L], ring.Latest(3, Admission.Everything)!.Select(m => m.Id));
    }

    [Fact]
    public void A_ring_that_was_never_full_still_holds_everything_after_a_removal()
    {
        var ring = new RecentMessages(8);
        for (var id = 1; id <= 3; id++) ring.Add(Message(id));
        ring.Remove(new HashSet<long> { 2 });
        Assert.Equal([1L, 3L], ring.Latest(5, Admission.Everything)!.Select(m => m.Id));
    }
}
