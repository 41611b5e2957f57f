using Grove.Server.Store.Postgres;
using Npgsql;

namespace Grove.Server.Tests.Store;

/// <summary>Statements are prepared by default; a connection string that says otherwise (a pooler) is obeyed.</summary>
public sealed class PostgresSettingsTests
{
    [Theory]
    [InlineData("Host=127.0.0.1;Database=grove", 32)]
    [InlineData("Host=127.0.0.1;Database=grove;Max Auto Prepare=0", 0)]
    [InlineData("Host=127.0.0.1;Database=grove;max auto prepare=5", 5)]
    [InlineData("Host=127.0.0.1;Database=grove;MaxAutoPrepare=0", 0)]
    public void Statements_are_prepared_unless_the_connection_string_says_max_auto_prepare(string given, int expected)
    {
        var builder = new NpgsqlConnectionStringBuilder(given);
        PostgresMessageStore.PrepareByDefault(builder, given);
        Assert.Equal(expected, builder.MaxAutoPrepare);
    }
}
