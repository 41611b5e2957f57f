using System.Net;
using System.Text.Json;
using Grove.Testing;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// docs/protocol.md, the HTTP API: a message id or limit that is not a number gets 400 with a JSON error a person can
/// read, not an empty body; a limit above the most the API gives is still that most.
/// </summary>
public sealed class ApiBadQueryTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private readonly HttpClient _http = new();
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("before=abc")]
    [InlineData("limit=x")]
    [InlineData("limit=5x")]
    [InlineData("limit=0")]
    [InlineData("limit=-3")]
    [InlineData("before=1e9")]
    public async Task A_query_that_is_not_a_number_gets_400_with_a_readable_error(string query)
    {
        await using var pat = await _server.JoinAsync("pat");
        var answer = await _http.GetAsync(new Uri(_server.HttpUri, $"api/rooms/lobby/messages?{query}"));
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var body = await answer.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        Assert.Equal("before is a message id and limit a number from 1 to 200, as in ?before=120&limit=50.", json.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_limit_above_the_most_gives_the_most()
    {
        await using var pat = await _server.JoinAsync("pat");
        await pat.SendAsync("one line");
        await pat.LinesUntilBarrierAsync();
        var answer = await _http.GetAsync(new Uri(_server.HttpUri, "api/rooms/lobby/messages?limit=99999999999"));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Contains(json.RootElement.GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString() == "one line");
    }
}
