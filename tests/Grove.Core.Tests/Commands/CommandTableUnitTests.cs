using Grove.Core.Commands;

namespace Grove.Core.Tests.Commands;

/// <summary>Each door's /help comes from the one table: the plain door keeps the seeds' aliases, the browser lists what it can send.</summary>
public sealed class CommandTableUnitTests
{
    private static readonly string[] SeedAliases = ["@grove", "!who", "!msg", "@leaves", "!logout", "bye", "exit", "@bamboo", "!help"];

    [Fact]
    public void The_plain_help_lists_the_seeds_aliases_and_not_the_browsers_logout()
    {
        var plain = string.Join("\n", CommandTable.HelpLines(DoorSet.Plain));
        foreach (var alias in SeedAliases) Assert.Contains(alias, plain);
        Assert.DoesNotContain("/logout", plain);
        Assert.Contains("  /quit [REASON] (also @leaves, !logout, bye, exit): leave the chat", plain);
    }

    [Fact]
    public void The_browser_help_lists_logout_and_no_alias_the_browser_would_send_as_a_message()
    {
        var web = CommandTable.HelpLines(DoorSet.Web).ToList();
        var text = string.Join("\n", web);
        foreach (var alias in SeedAliases) Assert.DoesNotContain(alias, text);
        Assert.Contains(web, l => l.StartsWith("  /logout: ", StringComparison.Ordinal));
        Assert.Contains("  /quit [REASON]: leave the chat", web);
        // Every line the browser lists as a command starts with a slash, as the browser sends only those as commands.
        Assert.All(web.Where(l => l.StartsWith("  ", StringComparison.Ordinal)), l => Assert.StartsWith("  /", l));
    }

    [Fact]
    public void Logout_is_a_command_on_the_web_door_only()
    {
        Assert.Equal(ErrorCode.UnknownCommand, PlainCommandParser.Parse("/logout").Error);
        Assert.Equal(CommandKind.Quit, PlainCommandParser.Parse("/logout", DoorSet.Web).Command!.Kind);
        Assert.Equal(CommandKind.Who, PlainCommandParser.Parse("!who", DoorSet.Web).Command!.Kind);
    }

    [Fact]
    public void The_irc_help_lists_the_grove_services_forms_and_no_slash_command()
    {
        var irc = CommandTable.HelpLines(DoorSet.Irc).ToList();
        foreach (var e in CommandTable.Entries.Where(e => e.IrcSyntax is not null))
            Assert.Contains(irc, l => l.StartsWith("  " + e.IrcSyntax + " ", StringComparison.Ordinal));
        Assert.DoesNotContain(irc, l => l.Contains(" /", StringComparison.Ordinal) || l.Contains("bye", StringComparison.Ordinal));
        // The service takes exactly the commands that have an IRC form.
        Assert.True(CommandTable.OnIrcService(CommandKind.Bamboo));
        Assert.False(CommandTable.OnIrcService(CommandKind.Quit));
        Assert.False(CommandTable.OnIrcService(CommandKind.Join));
    }

    [Fact]
    public void Every_command_kind_has_one_entry_with_a_handler_and_every_own_shape_parses()
    {
        // The command loop runs whatever entry a kind has: a kind without one, or an entry without a handler, would
        // be a command that silently does nothing.
        foreach (var kind in Enum.GetValues<CommandKind>())
        {
            var entry = CommandTable.Get(kind);
            Assert.True(entry is not null, $"{kind} has no entry in CommandEntries");
            Assert.True(entry.Run is not null, $"{kind} has no handler");
        }
        foreach (var e in CommandTable.Entries.Where(e => e.Aliases.Length > 0))
            foreach (var words in new[] { "", "x", "#room x", "#room x y", "x #room", "register #room", "* x", "on", "+m", "3" })
                _ = PlainCommandParser.Parse($"{e.Aliases[0]} {words}".Trim(), e.On.HasFlag(DoorSet.Plain) ? DoorSet.Plain : DoorSet.Web);
    }

    [Fact]
    public void A_command_that_defaults_to_the_room_being_looked_at_gets_it_when_it_names_none()
    {
        var kick = new ChatCommand(CommandKind.Kick, Args: ["bob"]);
        Assert.Equal("#here", CommandTable.Get(CommandKind.Kick).WithRoom(kick, "#here").Target);
        Assert.Equal("#there", CommandTable.Get(CommandKind.Kick).WithRoom(kick with { Target = "#there" }, "#here").Target);
        Assert.Equal(["#here"], CommandTable.Get(CommandKind.Invite).WithRoom(new ChatCommand(CommandKind.Invite, "bob"), "#here").Args);
        Assert.Null(CommandTable.Get(CommandKind.Who).WithRoom(new ChatCommand(CommandKind.Who), "#here").Target);
        Assert.Null(CommandTable.Get(CommandKind.Kick).WithRoom(kick, null).Target);
    }
}
