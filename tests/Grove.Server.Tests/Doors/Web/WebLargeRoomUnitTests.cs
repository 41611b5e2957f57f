using System.Text.Json;
using Grove.Core.Events;
using Grove.Server.Doors.Web;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// docs/protocol.md: "in a room of 500 people or more only the first 100 names, with count (everyone) and partial:
/// true" and "no join is sent for a room of 500 people or more".
/// </summary>
public sealed class WebLargeRoomUnitTests
{
    private static JsonElement Render(ChatEvent ev) =>
        JsonDocument.Parse(Assert.Single(ServerFrames.Payloads(new WebRenderer().Render(ev, null!)))).RootElement.Clone();

    [Theory]
    [InlineData(499, 499, false)]
    [InlineData(500, 100, true)]
    [InlineData(10_000, 100, true)]
    public void A_large_room_lists_its_first_names_and_the_count(int people, int listed, bool partial)
    {
        var names = Enumerable.Range(0, people).Select(i => $"p{i}").ToList();
        var joined = Render(new JoinedReply("#lobby", null, names, created: false, isWelcome: true));
        Assert.Equal(listed, joined.GetProperty("members").GetArrayLength());
        Assert.Equal("p0", joined.GetProperty("members")[0].GetProperty("name").GetString());
        Assert.Equal(partial, joined.TryGetProperty("partial", out _));
        if (partial) Assert.Equal(people, joined.GetProperty("count").GetInt32());
    }

    [Fact]
    public void Arrivals_in_a_large_room_send_browsers_no_join_notice()
    {
        Assert.Equal("join", Render(new JoinEvent("#lobby", "ann") { RoomSize = 499 }).GetProperty("type").GetString());
        Assert.True(new WebRenderer().Render(new JoinEvent("#lobby", "ann") { RoomSize = 500 }, null!).IsEmpty);
    }
}
