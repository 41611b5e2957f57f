using Grove.Core.Cluster;
using Grove.Core.Commands;
using Grove.Core.Pipeline;
using Grove.Core.Rooms;
using Xunit;

namespace Grove.Core.Tests.Cluster;

// The command log's encoding: what one node writes, every other node reads back the same, field for field; a block
// is skipped entry by entry without reading bodies; account steps come back as the same records.
public sealed class LogEntriesUnitTests
{
    private static readonly CommandStamp Stamp = new(new DateTimeOffset(2026, 12, 3, 15, 0, 0, 123, TimeSpan.Zero), TimeSpan.FromTicks(987_654_321), 42_000);

    private static byte[] Block(params byte[][] entries) => [EntryReader.Format, .. entries.SelectMany(e => e)];

    [Fact]
    public void A_command_with_every_field_comes_back_the_same()
    {
        var sent = new ChatCommand(CommandKind.Mode, "#garden", "+ov-b", 3, ["ann", "bob", "*!*@bad"]) { ClientTags = "+draft/react=1", MinimumStatus = MemberStatus.Operator };
        var writer = new EntryWriter();
        EntryWriter.WriteCommand(writer.Begin(7, 11, EntryOp.Command, Stamp), sent);
        var reader = new EntryReader(Block(writer.End()));

        Assert.Equal(EntryReader.Format, reader.Version);
        Assert.True(reader.Next(out var header));
        Assert.Equal(new EntryHeader(7, 11, EntryOp.Command, Stamp), header);
        var read = reader.ReadCommand();
        Assert.Equal((sent.Kind, sent.Target, sent.Text, sent.Count, sent.ClientTags, sent.MinimumStatus), (read.Kind, read.Target, read.Text, read.Count, read.ClientTags, read.MinimumStatus));
        Assert.Equal(sent.Args, read.Args);
        Assert.False(reader.Next(out _));
    }

    [Fact]
    public void Nulls_stay_null_and_entries_are_skipped_without_reading_their_bodies()
    {
        var writer = new EntryWriter();
        EntryWriter.WriteCommand(writer.Begin(1, 5, EntryOp.Command, Stamp), new ChatCommand(CommandKind.Say, Text: "first, with a long body that is never read"));
        var first = writer.End();
        EntryWriter.WriteCommand(writer.Begin(2, 5, EntryOp.Command, Stamp), new ChatCommand(CommandKind.Away));
        var second = writer.End();
        var reader = new EntryReader(Block(first, second));

        Assert.True(reader.Next(out var a));
        Assert.Equal(1, a.Serial);
        Assert.True(reader.Next(out var b)); // the first body skipped
        Assert.Equal(2, b.Serial);
        var away = reader.ReadCommand();
        Assert.Equal((CommandKind.Away, (string?)null, (string?)null, (int?)null, (IReadOnlyList<string>?)null), (away.Kind, away.Target, away.Text, away.Count, away.Args));
        Assert.False(reader.Next(out _));
    }

    [Fact]
    public void Every_account_step_comes_back_as_the_same_record()
    {
        AccountStep[] steps =
        [
            new LoginApplyStep("ann", "Ann", Ok: true, TakeName: false), new TokenLoginStep("key", TakeName: true), new LogoutStep("key"),
            new IssueTokenStep("key2"), new RegisterAccountStep("pbkdf2$hash"), new PurgeTokensStep(),
        ];
        foreach (var step in steps)
        {
            var writer = new EntryWriter();
            step.Write(writer.Begin(3, 9, EntryOp.Account, Stamp));
            var reader = new EntryReader(Block(writer.End()));
            Assert.True(reader.Next(out _));
            Assert.Equal(step, AccountStep.Read(reader.Body));
        }
    }

    [Fact]
    public void An_unknown_account_step_is_an_error_not_a_guess()
    {
        using var bytes = new MemoryStream([99]);
        Assert.Throws<InvalidDataException>(() => AccountStep.Read(new BinaryReader(bytes)));
    }
}
