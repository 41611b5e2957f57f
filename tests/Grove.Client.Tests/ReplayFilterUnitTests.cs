namespace Grove.Client.Tests;

public sealed class ReplayFilterUnitTests
{
    [Fact]
    public void Before_any_reconnect_every_line_is_shown()
    {
        var f = new ReplayFilter();
        f.Shown("bob: hi");
        Assert.True(f.ShouldShow("[history 10:00] bob: hi"));
    }

    [Fact]
    public void After_a_reconnect_the_replay_hides_what_was_seen_and_shows_what_was_missed()
    {
        var f = new ReplayFilter();
        foreach (var line in new[] { "bob: one", "* carol joined #lobby", "alice: two", "bob: one" }) f.Shown(line);
        f.Reconnected(rejoining: null);
        Assert.True(f.ShouldShow("* Welcome, alice! You are in #lobby; 1 other person is here."));
        Assert.False(f.ShouldShow("[history 10:00] bob: one"));
        Assert.False(f.ShouldShow("[history 10:01] alice: two"));
        Assert.False(f.ShouldShow("[history 10:02] bob: one"));
        Assert.True(f.ShouldShow("[history 10:03] bob: while you were away"));
        // Past the first new line the rest of the replay is new too, even a repeated text.
        Assert.True(f.ShouldShow("[history 10:04] bob: one"));
    }

    [Fact]
    public void Going_back_to_a_room_hides_the_lobby_replay_then_dedupes_the_room_replay()
    {
        var f = new ReplayFilter();
        f.Shown("bob: in the garden");
        f.Reconnected(rejoining: "#garden");
        Assert.False(f.ShouldShow("[history 09:00] dave: lobby talk"));
        Assert.True(f.ShouldShow("* You joined #garden; also here: bob."));
        Assert.False(f.ShouldShow("[history 10:00] bob: in the garden"));
        Assert.True(f.ShouldShow("[history 10:05] bob: new"));
    }

    [Fact]
    public void Typing_ends_the_replay_so_an_asked_for_history_is_shown_whole()
    {
        var f = new ReplayFilter();
        f.Shown("bob: hi");
        f.Reconnected(rejoining: null);
        f.Typed();
        Assert.True(f.ShouldShow("[history 10:00] bob: hi"));
    }
}
