using Grove.Testing;

namespace Grove.Server.Tests.Doors.Irc;

/// <summary>
/// PRIVMSG Grove :… answers a wrong use of one of its own commands with that command's IRC form, and a command it does
/// not offer (a plain-door command IRC has a verb for) as unknown, with or without arguments.
/// </summary>
public sealed class ServiceErrorsTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Notice = "^:Grove!service@services\\.grove NOTICE Ivy :";

    [Fact]
    public async Task A_plain_only_command_is_unknown_to_the_service_whether_or_not_it_has_arguments()
    {
        await using var irc = await _server.IrcAsync("Ivy");
        foreach (var (bare, full) in new[] { ("whois", "whois Ivy"), ("kick", "kick #lobby Ivy"), ("msg", "msg Ivy hi") })
        {
            // Before: the bare form answered "Usage: /whois NAME", which the service then refused with the name given.
            await irc.SendAsync($"PRIVMSG Grove :{bare}");
            var lines = await irc.IrcBarrierAsync();
            Assert.Contains(lines, l => l.EndsWith($"NOTICE Ivy :I do not know \"{bare}\".", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("Usage:", StringComparison.Ordinal));
            await irc.SendAsync($"PRIVMSG Grove :{full}");
            await irc.ExpectAsync(Notice + $"I do not know \"{full}\"\\.$");
            await irc.IrcBarrierAsync();
        }
    }

    [Fact]
    public async Task A_wrong_use_of_a_service_command_gets_its_irc_form_or_its_reason()
    {
        await using var irc = await _server.IrcAsync("Ivy");
        await irc.SendAsync("PRIVMSG Grove :history #lobby x");
        await irc.ExpectAsync(Notice + "Usage: history #room\\|NICK \\[N\\]$");
        await irc.IrcBarrierAsync();
        // Before: a bad count fell through to "I do not know" and the whole help.
        await irc.SendAsync("PRIVMSG Grove :history #lobby 0");
        var lines = await irc.IrcBarrierAsync();
        Assert.Contains(lines, l => l.EndsWith("NOTICE Ivy :/history takes a number from 1 to 500.", StringComparison.Ordinal) || l.EndsWith("NOTICE Ivy :history takes a number from 1 to 500.", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("I do not know", StringComparison.Ordinal));
    }
}
