using Grove.Core.Names;

namespace Grove.Core.Tests.Names;

public sealed class NameRulesUnitTests
{
    [Theory]
    [InlineData("alice")]
    [InlineData("Bob-2")]
    [InlineData("[away]")]
    [InlineData("_under_")]
    [InlineData("a")]
    [InlineData("x{|}^`\\")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345")]
    public void Valid_names(string name) => Assert.Null(NameRules.ValidateName(name));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "at most 32")]
    [InlineData("1abc", "must start")]
    [InlineData("-abc", "must start")]
    [InlineData("a b", "may contain only")]
    [InlineData("a,b", "may contain only")]
    [InlineData("a:b", "may contain only")]
    [InlineData("a\u0000b", "may contain only")]
    [InlineData("al\u202Eice", "may contain only")]
    [InlineData("ålice", "must start")]
    [InlineData("аlice", "must start")] // Cyrillic a: a confusable of "alice"
    [InlineData("Grove", "reserved")]
    public void Invalid_names(string name, string reason) => Assert.Contains(reason, NameRules.ValidateName(name));

    [Fact]
    public void Folding_is_ascii_case_mapping()
    {
        Assert.Equal("alice[]", NameRules.Fold("ALICE[]"));
        Assert.True(NameRules.NamesEqual("Alice", "aLICE"));
        Assert.False(NameRules.NamesEqual("alice[", "alice{")); // ascii, not rfc1459
        var same = "already-lower";
        Assert.Same(same, NameRules.Fold(same));
    }

    [Theory]
    [InlineData("#lobby")]
    [InlineData("#a")]
    [InlineData("#café-☕")]
    [InlineData("##double")]
    public void Valid_rooms(string room) => Assert.Null(NameRules.ValidateRoomName(room));

    [Theory]
    [InlineData("lobby")]
    [InlineData("#")]
    [InlineData("#a b")]
    [InlineData("#a,b")]
    [InlineData("#bell\u0007")]
    [InlineData("#tab\t")]
    [InlineData("#rtl\u202E")]
    public void Invalid_rooms(string room) => Assert.NotNull(NameRules.ValidateRoomName(room));

    [Fact]
    public void Room_names_are_at_most_50_characters_after_the_hash()
    {
        Assert.Null(NameRules.ValidateRoomName("#" + new string('r', 50)));
        Assert.Contains("at most 50", NameRules.ValidateRoomName("#" + new string('r', 51)));
    }
}
