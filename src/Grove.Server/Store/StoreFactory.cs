using Grove.Core.History;
using Grove.Server.Hosting;
using Grove.Server.Store.Postgres;
using Grove.Server.Store.Sqlite;

namespace Grove.Server.Store;

/// <summary>The store the settings name: SQLite in the data folder (the default) or PostgreSQL (--store postgres).</summary>
public static class StoreFactory
{
    /// <summary>Makes and opens the store. Throws <see cref="StoreException"/> with a sentence for a person.</summary>
    public static IMessageStore Open(GroveServerOptions options)
    {
        IMessageStore store = options.UsesPostgres
            ? new PostgresMessageStore(options.Postgres!, options.NodeName)
            : new SqliteMessageStore(options.Data) { Repair = options.Repair };
        store.Open();
        return store;
    }

    /// <summary>Where the store keeps things, for messages: the data folder, or the PostgreSQL database.</summary>
    public static string Describe(IMessageStore store) => store switch
    {
        SqliteMessageStore s => Path.GetDirectoryName(s.DatabasePath)!,
        PostgresMessageStore p => $"PostgreSQL ({p.Where})",
        _ => "the store",
    };
}
