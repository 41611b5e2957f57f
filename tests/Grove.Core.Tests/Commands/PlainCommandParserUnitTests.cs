using Grove.Core.Commands;

namespace Grove.Core.Tests.Commands;

public sealed class PlainCommandParserUnitTests
{
    [Theory]
    [InlineData("/who", CommandKind.Who)]
    [InlineData("@grove", CommandKind.Who)]
    [InlineData("!who", CommandKind.Who)]
    [InlineData("/WHO", CommandKind.Who)]
    [InlineData("/help", CommandKind.Help)]
    [InlineData("/quit", CommandKind.Quit)]
    [InlineData("@leaves", CommandKind.Quit)]
    [InlineData("!logout", CommandKind.Quit)]
    [InlineData("bye", CommandKind.Quit)]
    [InlineData("exit", CommandKind.Quit)]
    [InlineData("/bamboo", CommandKind.Bamboo)]
    [InlineData("@bamboo", CommandKind.Bamboo)]
    [InlineData("/rooms", CommandKind.Rooms)]
    [InlineData("/list", CommandKind.Rooms)]
    [InlineData("/history", CommandKind.History)]
    [InlineData("/part", CommandKind.Part)]
    [InlineData("/topic", CommandKind.Topic)]
    public void Every_alias_reaches_its_command(string line, CommandKind kind)
    {
        var r = PlainCommandParser.Parse(line);
        Assert.False(r.IsError, r.ErrorText);
        Assert.Equal(kind, r.Command!.Kind);
    }

    [Fact]
    public void Msg_takes_a_name_and_the_rest_of_the_line()
    {
        Assert.Equal(new ChatCommand(CommandKind.Msg, "bob", "hello  there you"), PlainCommandParser.Parse("/msg bob hello  there you").Command);
        Assert.Equal(new ChatCommand(CommandKind.Msg, "bob", "hi"), PlainCommandParser.Parse("!msg bob hi").Command);
        Assert.Equal(ErrorCode.NeedMoreParams, PlainCommandParser.Parse("/msg bob").Error);
        Assert.Equal(ErrorCode.NeedMoreParams, PlainCommandParser.Parse("/msg").Error);
    }

    [Fact]
    public void Quit_keeps_its_reason()
    {
        Assert.Equal("see you soon", PlainCommandParser.Parse("/quit see you soon").Command!.Text);
        Assert.Null(PlainCommandParser.Parse("/quit").Command!.Text);
    }

    [Fact]
    public void Ordinary_text_and_unknown_bang_or_at_words_are_messages()
    {
        Assert.Equal(new ChatCommand(CommandKind.Say, Text: "hello"), PlainCommandParser.Parse("hello").Command);
        Assert.Equal(new ChatCommand(CommandKind.Say, Text: "!!! wow"), PlainCommandParser.Parse("!!! wow").Command);
        Assert.Equal(new ChatCommand(CommandKind.Say, Text: "@bob look"), PlainCommandParser.Parse("@bob look").Command);
        Assert.Equal(new ChatCommand(CommandKind.Say, Text: "bye now"), PlainCommandParser.Parse("bye now").Command);
        Assert.Equal(new ChatCommand(CommandKind.Say, Text: "/not a command"), PlainCommandParser.Parse("//not a command").Command);
    }

    [Fact]
    public void An_unknown_slash_command_is_an_error_that_points_at_help()
    {
        var r = PlainCommandParser.Parse("/frobnicate now");
        Assert.Equal(ErrorCode.UnknownCommand, r.Error);
        Assert.Contains("/help", r.ErrorText);
        Assert.Contains("/frobnicate", r.ErrorText);
    }

    [Fact]
    public void Rooms_commands_take_their_arguments()
    {
        Assert.Equal(new ChatCommand(CommandKind.Join, "#dev"), PlainCommandParser.Parse("/join #dev").Command);
        Assert.Equal(ErrorCode.NeedMoreParams, PlainCommandParser.Parse("/join").Error);
        Assert.Equal(new ChatCommand(CommandKind.Part, "#dev", "bye all"), PlainCommandParser.Parse("/part #dev bye all").Command);
        Assert.Equal(new ChatCommand(CommandKind.Part, null, "later"), PlainCommandParser.Parse("/part later").Command);
        Assert.Equal(new ChatCommand(CommandKind.Topic, null, "new topic here"), PlainCommandParser.Parse("/topic new topic here").Command);
        Assert.Equal(new ChatCommand(CommandKind.Who, "#dev"), PlainCommandParser.Parse("/who #dev").Command);
        Assert.Equal(new ChatCommand(CommandKind.Nick, "bobby"), PlainCommandParser.Parse("/nick bobby").Command);
        Assert.Equal(ErrorCode.NeedMoreParams, PlainCommandParser.Parse("/nick two words").Error);
        Assert.Equal(new ChatCommand(CommandKind.Me, Text: "waves"), PlainCommandParser.Parse("/me waves").Command);
    }

    [Theory]
    [InlineData("/history 0")]
    [InlineData("/history 501")]
    [InlineData("/history -3")]
    [InlineData("/history 12abc")]
    [InlineData("/history 99999999999999")]
    public void History_refuses_a_bad_number(string line) => Assert.Equal(ErrorCode.BadArgument, PlainCommandParser.Parse(line).Error);

    [Fact]
    public void History_takes_a_number_a_name_or_a_room()
    {
        Assert.Equal(new ChatCommand(CommandKind.History, Count: 500), PlainCommandParser.Parse("/history 500").Command);
        Assert.Equal(new ChatCommand(CommandKind.History, "bob"), PlainCommandParser.Parse("/history bob").Command);
        Assert.Equal(new ChatCommand(CommandKind.History, "#dev"), PlainCommandParser.Parse("/history #dev").Command);
    }

    [Fact]
    public void Every_table_entry_parses_from_its_own_first_alias()
    {
        foreach (var e in CommandTable.Entries.Where(e => e.Aliases.Length > 0))
        {
            var r = PlainCommandParser.Parse(e.Aliases[0], e.On.HasFlag(DoorSet.Plain) ? DoorSet.Plain : DoorSet.Web);
            Assert.True(r.IsError ? r.Error == ErrorCode.NeedMoreParams : r.Command!.Kind == e.Kind, e.Aliases[0]);
        }
    }
}
