import type { DatabaseSync } from "node:sqlite"

/**
 * `PRAGMA application_id` of a buffer database ("RMQB"), so that a SQLite file of another
 * application is never mistaken for an empty buffer and written to.
 */
export const APPLICATION_ID = 0x524d5142

/**
 * The schema, one migration per version: `MIGRATIONS[n]` takes a database from version `n` to
 * `n + 1` (`PRAGMA user_version`). Never edit a migration that was released; add the next one.
 *
 * Version 1:
 * - `destinations`: one row per destination name ever appended to, never deleted (so that the ids
 *   a process caches stay right while other processes append), with the count and body bytes of
 *   its envelopes, kept in the same transactions as the envelopes so that `depth` reads no rows,
 *   and `last_seq`, the highest `seq` it was ever given.
 * - `envelopes`: `seq` is the envelope's id and its append order; the index on (destination, seq)
 *   is the order of each destination. `meta` holds the descriptor, properties and put options as
 *   JSON (NULL when there are none, see `encodeMeta`). The body comes last, so that reading the
 *   other columns never reads its overflow pages. A new envelope gets the highest `last_seq` + 1:
 *   SQLite's own choice, the largest `seq` in the table + 1, would give an id again after the
 *   newest envelopes were acknowledged, and an acknowledgement that came late would remove another
 *   envelope. (AUTOINCREMENT would prevent it too, at the cost of a write to `sqlite_sequence` for
 *   every row instead of nothing: `last_seq` is updated with the counts, once per destination and
 *   group.)
 * - `dead_letters`: the envelope as it was (same `seq`), with the reason and the time.
 */
export const MIGRATIONS: ReadonlyArray<string> = [
  `
  CREATE TABLE destinations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    messages INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE envelopes (
    seq INTEGER PRIMARY KEY,
    destination INTEGER NOT NULL REFERENCES destinations (id),
    accepted_at REAL NOT NULL,
    msg_id BLOB NOT NULL,
    meta TEXT,
    body BLOB NOT NULL
  ) STRICT;
  CREATE INDEX envelopes_by_destination ON envelopes (destination, seq);
  CREATE TABLE dead_letters (
    seq INTEGER PRIMARY KEY,
    destination INTEGER NOT NULL REFERENCES destinations (id),
    accepted_at REAL NOT NULL,
    msg_id BLOB NOT NULL,
    meta TEXT,
    reason TEXT NOT NULL,
    dead_lettered_at REAL NOT NULL,
    body BLOB NOT NULL
  ) STRICT;
  CREATE INDEX dead_letters_by_destination ON dead_letters (destination, seq);
  `
]

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

/** What the header of a database says it is. */
export type Found =
  | { readonly _tag: "Current" }
  | { readonly _tag: "Older"; readonly version: number }
  | { readonly _tag: "Newer"; readonly version: number }
  | { readonly _tag: "Foreign"; readonly applicationId: number; readonly objects: number }

const pragmaNumber = (db: DatabaseSync, pragma: string): number => {
  const row = db.prepare(`PRAGMA ${pragma}`).get()
  const value = row?.[pragma]
  if (typeof value !== "number") throw new Error(`PRAGMA ${pragma} answered ${String(value)}`)
  return value
}

/** Reads the header (a read: no write lock needed, so that a database in use by a writer still opens). */
export const inspect = (db: DatabaseSync): Found => {
  const applicationId = pragmaNumber(db, "application_id")
  const version = pragmaNumber(db, "user_version")
  if (applicationId === APPLICATION_ID) {
    return version === SCHEMA_VERSION
      ? { _tag: "Current" }
      : version > SCHEMA_VERSION
      ? { _tag: "Newer", version }
      : { _tag: "Older", version }
  }
  const objects = db.prepare("SELECT count(*) AS n FROM sqlite_schema").get()?.["n"]
  // A new (or empty) file: version 0 of ours.
  if (applicationId === 0 && version === 0 && objects === 0) return { _tag: "Older", version: 0 }
  return { _tag: "Foreign", applicationId, objects: typeof objects === "number" ? objects : 0 }
}

/**
 * Brings a database to `SCHEMA_VERSION` in one transaction, under the write lock: the header is
 * read again inside it, since another process may have migrated it meanwhile. What the header says
 * then, when it is not ours to migrate (newer, foreign), is returned without writing anything.
 */
export const migrate = (db: DatabaseSync): Found => {
  db.exec("BEGIN IMMEDIATE")
  try {
    const found = inspect(db)
    if (found._tag === "Older") {
      for (let version = found.version; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!)
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION}`)
    }
    db.exec("COMMIT")
    return found._tag === "Older" ? { _tag: "Current" } : found
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK")
    throw error
  }
}
