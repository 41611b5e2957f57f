using Grove.Core.Handlers;
using Grove.Core.People;

namespace Grove.Core.Cluster;

/// <summary>
/// An account step that changes state (the loop part of logging in, registering, tokens): what the origin node runs
/// is what every node runs, so each step is a record that can be logged and applied, not a closure.
/// The slow, random or secret parts (hashing, making a token) were done on the origin node before it.
/// </summary>
internal abstract record AccountStep
{
    public abstract object? Apply(ChatHandlers h, Session? s);

    public abstract void Write(BinaryWriter w);

    public static AccountStep Read(BinaryReader r) => r.ReadByte() switch
    {
        0 => new LoginApplyStep(r.ReadString(), r.ReadString(), r.ReadBoolean(), r.ReadBoolean()),
        1 => new TokenLoginStep(r.ReadString(), r.ReadBoolean()),
        2 => new LogoutStep(r.ReadString()),
        3 => new IssueTokenStep(r.ReadString()),
        4 => new RegisterAccountStep(r.ReadString()),
        5 => new PurgeTokensStep(),
        var k => throw new InvalidDataException($"Unknown account step {k} in the command log."),
    };
}

internal sealed record LoginApplyStep(string Key, string Name, bool Ok, bool TakeName) : AccountStep
{
    public override object? Apply(ChatHandlers h, Session? s) => h.LoginApply(s!, Key, Name, Ok, TakeName);
    public override void Write(BinaryWriter w) { w.Write((byte)0); w.Write(Key); w.Write(Name); w.Write(Ok); w.Write(TakeName); }
}

internal sealed record TokenLoginStep(string TokenKey, bool TakeName) : AccountStep
{
    public override object? Apply(ChatHandlers h, Session? s) => h.LoginWithToken(s!, TokenKey, TakeName);
    public override void Write(BinaryWriter w) { w.Write((byte)1); w.Write(TokenKey); w.Write(TakeName); }
}

internal sealed record LogoutStep(string TokenKey) : AccountStep
{
    public override object? Apply(ChatHandlers h, Session? s) => h.Logout(s!, TokenKey);
    public override void Write(BinaryWriter w) { w.Write((byte)2); w.Write(TokenKey); }
}

internal sealed record IssueTokenStep(string TokenKey) : AccountStep
{
    public override object? Apply(ChatHandlers h, Session? s) => h.IssueToken(s!, TokenKey);
    public override void Write(BinaryWriter w) { w.Write((byte)3); w.Write(TokenKey); }
}

internal sealed record RegisterAccountStep(string Hash) : AccountStep
{
    public override object? Apply(ChatHandlers h, Session? s) => h.RegisterAccount(s!, Hash);
    public override void Write(BinaryWriter w) { w.Write((byte)4); w.Write(Hash); }
}

internal sealed record PurgeTokensStep : AccountStep
{
    public override object? Apply(ChatHandlers h, Session? s) => h.PurgeExpiredTokens();
    public override void Write(BinaryWriter w) => w.Write((byte)5);
}
