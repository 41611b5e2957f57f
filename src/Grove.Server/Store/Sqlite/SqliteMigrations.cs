using Microsoft.Data.Sqlite;

namespace Grove.Server.Store.Sqlite;

/// <summary>
/// Versioned schema changes, run in order at start-up; each in its own transaction with the version bump.
/// Never edit a released step: add the next one.
/// </summary>
public static class SqliteMigrations
{
    public static readonly IReadOnlyList<string> Steps =
    [
        // 1: messages and rooms.
        """
        CREATE TABLE messages (
            id        INTEGER PRIMARY KEY,
            time      INTEGER NOT NULL,      -- unix milliseconds, UTC
            room      TEXT,                  -- folded room name; NULL for a private message
            sender    TEXT NOT NULL,
            recipient TEXT,                  -- NULL for a room message
            text      TEXT NOT NULL,
            kind      INTEGER NOT NULL       -- 0 message, 1 action, 2 notice
        );
        CREATE INDEX messages_by_room ON messages (room, id) WHERE room IS NOT NULL;
        CREATE TABLE rooms (
            key          TEXT PRIMARY KEY,   -- folded name
            name         TEXT NOT NULL,
            topic        TEXT,
            topic_set_by TEXT,
            topic_set_at INTEGER
        );
        """,
        // 2: private conversations get a key of their own, so /history NAME is one index range; rooms get a creation time.
        """
        ALTER TABLE messages ADD COLUMN pair TEXT;
        UPDATE messages SET pair = CASE WHEN lower(sender) <= lower(recipient)
                                        THEN lower(sender) || ' ' || lower(recipient)
                                        ELSE lower(recipient) || ' ' || lower(sender) END
            WHERE recipient IS NOT NULL;
        CREATE INDEX messages_by_pair ON messages (pair, id) WHERE pair IS NOT NULL;
        ALTER TABLE rooms ADD COLUMN created_at INTEGER;
        """,
        // 3: accounts, registered rooms (owner, lasting modes and lists as JSON arrays), the audit log, web tokens.
        """
        CREATE TABLE accounts (
            key        TEXT PRIMARY KEY,     -- folded name
            name       TEXT NOT NULL,
            password   TEXT NOT NULL,        -- pbkdf2-sha256$iterations$salt$hash, never the password
            created_at INTEGER NOT NULL
        );
        CREATE TABLE room_settings (
            key           TEXT PRIMARY KEY,  -- folded room name
            name          TEXT NOT NULL,
            owner         TEXT NOT NULL,     -- account key
            modes         TEXT NOT NULL,     -- letters of t n m i s
            password      TEXT,
            user_limit    INTEGER NOT NULL,
            bans          TEXT NOT NULL,     -- JSON array of masks
            mutes         TEXT NOT NULL,
            operators     TEXT NOT NULL,     -- JSON array of account keys
            voices        TEXT NOT NULL,
            registered_at INTEGER NOT NULL
        );
        CREATE TABLE audit (
            id     INTEGER PRIMARY KEY,
            time   INTEGER NOT NULL,
            actor  TEXT NOT NULL,
            action TEXT NOT NULL,
            room   TEXT,                     -- folded room name, or NULL for a server-wide action
            target TEXT,
            detail TEXT
        );
        CREATE INDEX audit_by_room ON audit (room, id);
        CREATE TABLE tokens (
            key        TEXT PRIMARY KEY,     -- SHA-256 of the token
            account    TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE server_bans (
            mask TEXT PRIMARY KEY
        );
        """,
        // 4: a private message belongs to the accounts or guest connections that had it ('a:' account key, 'g:'
        // connection token), not to the names, which someone else may take later. Older messages get their account
        // owners where the name was already registered when they were sent; a guest's stay readable by no one.
        """
        ALTER TABLE messages ADD COLUMN sender_owner TEXT;
        ALTER TABLE messages ADD COLUMN recipient_owner TEXT;
        UPDATE messages SET sender_owner = 'a:' || lower(sender)
            WHERE recipient IS NOT NULL
              AND EXISTS (SELECT 1 FROM accounts a WHERE a.key = lower(messages.sender) AND a.created_at <= messages.time);
        UPDATE messages SET recipient_owner = 'a:' || lower(recipient)
            WHERE recipient IS NOT NULL
              AND EXISTS (SELECT 1 FROM accounts a WHERE a.key = lower(messages.recipient) AND a.created_at <= messages.time);
        """,
        // 5: a room message keeps the gates the room had when it was sent (1 secret, 2 invite-only, 4 keyed) and since
        // when they stood (a message id), so it is replayed only to who passed those very gates. Older messages of a
        // registered room take the gates it has now; those of other rooms are not known and stay open.
        """
        ALTER TABLE messages ADD COLUMN gates INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN gates_since INTEGER NOT NULL DEFAULT 0;
        UPDATE messages SET gates =
              (SELECT (CASE WHEN instr(rs.modes, 's') > 0 THEN 1 ELSE 0 END)
                    | (CASE WHEN instr(rs.modes, 'i') > 0 THEN 2 ELSE 0 END)
                    | (CASE WHEN rs.password IS NOT NULL THEN 4 ELSE 0 END)
               FROM room_settings rs WHERE rs.key = messages.room)
            WHERE room IN (SELECT key FROM room_settings);
        """,
    ];

    public static int CurrentVersion => Steps.Count;

    public static int ReadVersion(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL); SELECT COALESCE(MAX(version), 0) FROM schema_version;";
        return Convert.ToInt32(cmd.ExecuteScalar());
    }

    /// <summary>Brings the database to <see cref="CurrentVersion"/>; refuses a database from a newer Grove.</summary>
    public static void Apply(SqliteConnection c, int upTo = int.MaxValue)
    {
        var version = ReadVersion(c);
        if (version > CurrentVersion)
            throw new Grove.Core.History.StoreException($"The database was written by a newer Grove (schema {version}, this one knows {CurrentVersion}).");
        for (var v = version; v < Math.Min(CurrentVersion, upTo); v++)
        {
            using var tx = c.BeginTransaction();
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = Steps[v] + $"\nDELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ({v + 1});";
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
    }
}
