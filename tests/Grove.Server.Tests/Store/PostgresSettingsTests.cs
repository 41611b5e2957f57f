using Grove.Server.Store.Postgres;

namespace Grove.Server.Tests.Store;

/// <summary>What Grove adds to the operator's PostgreSQL connection string, and what the operator may say instead.</summary>
public sealed class PostgresSettingsTests
{
    [Fact]
    public void Statements_are_prepared_automatically_unless_the_connection_string_turns_it_off()
    {
        Assert.Equal(32, PostgresMessageStore.Settings("Host=db").MaxAutoPrepare);
        Assert.Equal(5, PostgresMessageStore.Settings("Host=db;Max Auto Prepare=5").MaxAutoPrepare);
        // A pooler in transaction mode (PgBouncer) cannot keep a session's prepared statements: 0 must mean off.
        Assert.Equal(0, PostgresMessageStore.Settings("Host=db;Max Auto Prepare=0").MaxAutoPrepare);
        Assert.Equal(0, PostgresMessageStore.Settings("Host=db;MaxAutoPrepare=0").MaxAutoPrepare);
    }

    [Fact]
    public void Time_outs_are_short_unless_the_connection_string_names_them_even_at_npgsqls_own_defaults()
    {
        var unsaid = PostgresMessageStore.Settings("Host=db");
        Assert.Equal((5, 15), (unsaid.Timeout, unsaid.CommandTimeout));
        // 15 and 30 are Npgsql's defaults, so a builder cannot tell them from nothing said: written out, they are kept.
        var said = PostgresMessageStore.Settings("Host=db;Timeout=15;Command Timeout=30");
        Assert.Equal((15, 30), (said.Timeout, said.CommandTimeout));
        var other = PostgresMessageStore.Settings("Host=db;timeout=9;CommandTimeout=40");
        Assert.Equal((9, 40), (other.Timeout, other.CommandTimeout));
    }
}
