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
}
