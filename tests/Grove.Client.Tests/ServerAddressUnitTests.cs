namespace Grove.Client.Tests;

/// <summary>The HOST[:PORT] addresses of `grove connect`, one or several.</summary>
public sealed class ServerAddressUnitTests
{
    [Theory]
    [InlineData("example.org", "example.org", 6969, "example.org:6969")]
    [InlineData("127.0.0.1:7001", "127.0.0.1", 7001, "127.0.0.1:7001")]
    [InlineData("[::1]:7002", "::1", 7002, "[::1]:7002")]
    [InlineData("[::1]", "::1", 6969, "[::1]:6969")]
    [InlineData("::1", "::1", 6969, "[::1]:6969")]
    public void One_address_gives_its_host_and_port(string text, string host, int port, string shown)
    {
        Assert.True(ServerAddress.TryParse(text, out var a));
        Assert.Equal(new ServerAddress(host, port), a);
        Assert.Equal(shown, a.ToString());
    }

    [Theory]
    [InlineData("host:")]
    [InlineData("host:abc")]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:+80")]
    [InlineData(":7001")]
    [InlineData("[::1")]
    [InlineData("[::1]7001")]
    [InlineData("two words")]
    public void A_malformed_address_is_refused(string text) => Assert.False(ServerAddress.TryParse(text, out _));

    [Fact]
    public void Arguments_and_comma_separated_parts_keep_their_order()
    {
        Assert.True(ServerAddress.TryParseList(["a:1,b:2", "c", "d:4,"], out var list, out var bad));
        Assert.Null(bad);
        Assert.Equal(["a:1", "b:2", "c:6969", "d:4"], list.Select(a => a.ToString()));
    }

    [Theory]
    [InlineData("a:1,b:x,c:3", "b:x")]
    [InlineData(",", ",")]
    [InlineData("a:1, :7", ":7")]
    public void The_first_bad_part_of_a_list_is_named(string argument, string named)
    {
        Assert.False(ServerAddress.TryParseList(["ok:1", argument], out _, out var bad));
        Assert.Equal(named, bad);
    }
}
