import { BufferStoreError } from "@resilient-mq/buffer"
import { suite } from "@resilient-mq/buffer/testing"
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { fileURLToPath } from "node:url"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { DatabaseLocked, ForeignDatabase, layerSqlite, SchemaTooNew } from "../src/index.ts"
import { connection, envelope, failureTags, numbers, open, settle, temporaryDatabase, withStore } from "./support/helpers.ts"
import { storeIn } from "./support/store.ts"

suite("sqlite", {
  layer: storeIn,
  durable: true,
  crash: { childModule: fileURLToPath(new URL("./support/crashChild.ts", import.meta.url)) }
})

const PRODUCERS = 64

const pragma = (filename: string, name: string): unknown => {
  const db = new DatabaseSync(filename)
  try {
    return db.prepare(`PRAGMA ${name}`).get()?.[name]
  } finally {
    db.close()
  }
}

describe("group commit", () => {
  it.effect(`${PRODUCERS} concurrent appends share a few transactions`, () =>
    Effect.gen(function*() {
      const { sqlite, store } = yield* open(yield* temporaryDatabase)
      const appended = yield* Effect.forEach(
        Array.from({ length: PRODUCERS }, (_, n) => n),
        (n) => store.append(envelope(n, `Q${n % 4}`)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(new Set(appended.map((a) => a.id)).size, PRODUCERS)
      const { appends, commits } = yield* sqlite.statistics
      assert.strictEqual(appends, PRODUCERS)
      assert.isAtMost(commits, 4)
      for (let q = 0; q < 4; q++) {
        assert.deepStrictEqual(numbers(yield* store.take(`Q${q}`, 100)), Array.from({ length: 16 }, (_, i) => i * 4 + q))
      }
    }))

  it.effect("keeps committing in groups while producers keep appending", () =>
    Effect.gen(function*() {
      const { sqlite, store } = yield* open(yield* temporaryDatabase)
      yield* Effect.forEach(
        Array.from({ length: PRODUCERS }, (_, p) => p),
        (p) => Effect.forEach([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], (i) => store.append(envelope(p * 10 + i, `Q${p % 4}`))),
        { concurrency: "unbounded" }
      )
      const { appends, commits } = yield* sqlite.statistics
      assert.strictEqual(appends, PRODUCERS * 10)
      assert.isAtMost(commits, (PRODUCERS * 10) / 8)
    }))

  // Under the test clock no timer ever fires: an append that waited for one would never return.
  it.effect("commits a lone append at once: one producer awaiting each append waits for no timer", () =>
    Effect.gen(function*() {
      const { sqlite, store } = yield* open(yield* temporaryDatabase)
      yield* Effect.forEach([0, 1, 2, 3, 4], (n) => store.append(envelope(n)))
      assert.deepStrictEqual(yield* sqlite.statistics, { appends: 5, commits: 5 })
    }))
})

describe("schema", () => {
  it.effect("a new file gets this version's schema, marked as a buffer", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const version = yield* withStore(filename, ({ sqlite }) => Effect.succeed(sqlite.schemaVersion))
      assert.strictEqual(version, 1)
      assert.strictEqual(pragma(filename, "user_version"), 1)
      assert.strictEqual(pragma(filename, "application_id"), 0x524d5142)
      assert.strictEqual(pragma(filename, "journal_mode"), "wal")
      assert.strictEqual(fs.statSync(filename).mode & 0o777, 0o600)
    }))

  it.effect("a database written by a newer version is refused with SchemaTooNew, and left as it was", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      yield* withStore(filename, ({ store }) => store.append(envelope(1)))
      const db = new DatabaseSync(filename)
      db.exec("PRAGMA user_version = 99")
      db.close()
      const error = yield* Effect.flip(Effect.scoped(Layer.build(layerSqlite({ filename }))))
      assert.instanceOf(error, SchemaTooNew)
      assert.deepStrictEqual(error instanceof SchemaTooNew ? [error.version, error.supported] : [], [99, 1])
      assert.include(error.message, "schema version 99")
      assert.strictEqual(pragma(filename, "user_version"), 99)
      const check = new DatabaseSync(filename)
      assert.strictEqual(check.prepare("SELECT count(*) AS n FROM envelopes").get()?.["n"], 1)
      check.close()
    }))

  it.effect("a SQLite file of another application is refused with ForeignDatabase, and left alone", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const db = new DatabaseSync(filename)
      db.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('kept')")
      db.close()
      const error = yield* Effect.flip(Effect.scoped(Layer.build(layerSqlite({ filename }))))
      assert.instanceOf(error, ForeignDatabase)
      assert.include(error.message, "another application")
      const check = new DatabaseSync(filename)
      assert.deepStrictEqual(check.prepare("SELECT name FROM sqlite_schema").all().map((row) => row["name"]), ["accounts"])
      assert.strictEqual(check.prepare("PRAGMA user_version").get()?.["user_version"], 0)
      check.close()
    }))

  it.effect("a file that is not a database fails with BufferStoreError, and is left alone", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const garbage = "this is not a SQLite database, but it is long enough to have a header".repeat(100)
      fs.writeFileSync(filename, garbage)
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(layerSqlite({ filename }))))
      assert.deepStrictEqual(failureTags(exit), ["BufferStoreError"])
      assert.strictEqual(fs.readFileSync(filename, "utf8"), garbage)
    }))
})

describe("another connection holding the database", () => {
  it.effect("an append waits busyTimeout, then fails with DatabaseLocked as the cause; nothing is written", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const { store } = yield* open(filename, { busyTimeout: "2 seconds" })
      yield* store.append(envelope(1))
      const other = yield* connection(filename)
      other.exec("BEGIN EXCLUSIVE")
      const appending = yield* Effect.forkChild(Effect.flip(store.append(envelope(2))))
      yield* settle
      assert.isUndefined(appending.pollUnsafe(), "the append waits while the database is locked")
      // Reads do not need the write lock (WAL): they go on meanwhile.
      assert.deepStrictEqual(numbers(yield* store.take("Q1", 10)), [1])
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(appending)
      assert.instanceOf(error, BufferStoreError)
      assert.strictEqual(error.operation, "append")
      assert.instanceOf(error.cause, DatabaseLocked)
      assert.strictEqual(error.cause instanceof DatabaseLocked ? error.cause.waitedMillis : undefined, 2000)
      assert.include(error.message, "is locked by another connection")
      other.exec("ROLLBACK")
      assert.deepStrictEqual(numbers(yield* store.take("Q1", 10)), [1], "the refused append left nothing")
      yield* store.append(envelope(3))
      assert.deepStrictEqual(numbers(yield* store.take("Q1", 10)), [1, 3])
      assert.strictEqual((yield* store.depth("Q1")).messages, 2)
    }))

  it.effect("an append that waits goes through once the other connection lets go within busyTimeout", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const { store } = yield* open(filename)
      yield* store.append(envelope(1))
      const other = yield* connection(filename)
      other.exec("BEGIN EXCLUSIVE")
      const appending = yield* Effect.forkChild(store.append(envelope(2)))
      const acknowledging = yield* Effect.forkChild(store.acknowledge(["1"]))
      yield* settle
      yield* TestClock.adjust("1 second")
      assert.isUndefined(appending.pollUnsafe())
      assert.isUndefined(acknowledging.pollUnsafe())
      other.exec("COMMIT")
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(appending)
      assert.deepStrictEqual(yield* Fiber.join(acknowledging), { messages: 1, bytes: 100 })
      assert.deepStrictEqual(numbers(yield* store.take("Q1", 10)), [2])
    }))

  it.effect("opening a new file that another connection holds fails with DatabaseLocked after busyTimeout", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const other = yield* connection(filename)
      other.exec("BEGIN EXCLUSIVE")
      const opening = yield* Effect.forkChild(Effect.exit(Effect.scoped(Layer.build(layerSqlite({ filename, busyTimeout: "300 millis" })))))
      yield* settle
      yield* TestClock.adjust("300 millis")
      const exit = yield* Fiber.join(opening)
      assert.deepStrictEqual(failureTags(exit), ["DatabaseLocked"])
      other.exec("ROLLBACK")
      yield* withStore(filename, ({ store }) => store.append(envelope(1)))
    }))

  it.effect("two stores over one file (two processes) share it: both see every envelope, and no id is given twice", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const first = yield* open(filename)
      const second = yield* open(filename)
      const appended = yield* Effect.forEach(
        Array.from({ length: 40 }, (_, n) => n),
        (n) => (n % 2 === 0 ? first : second).store.append(envelope(n, "SHARED.Q")),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(new Set(appended.map((a) => a.id)).size, 40)
      const seen = numbers(yield* second.store.take("SHARED.Q", 100))
      assert.sameMembers([...seen], Array.from({ length: 40 }, (_, n) => n))
      assert.deepStrictEqual(yield* first.store.take("SHARED.Q", 100), yield* second.store.take("SHARED.Q", 100))
      yield* first.store.acknowledge(appended.slice(0, 10).map((a) => a.id))
      assert.strictEqual((yield* second.store.depth("SHARED.Q")).messages, 30)
    }))
})

describe("ids", () => {
  it.effect("an id is never given twice, even after the newest envelopes were acknowledged or dead-lettered, across restarts", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const given = new Set<string>()
      for (let round = 0; round < 3; round++) {
        yield* withStore(filename, ({ store }) =>
          Effect.gen(function*() {
            const appended = yield* Effect.forEach([0, 1, 2], (n) => store.append(envelope(round * 10 + n)))
            for (const { id } of appended) {
              assert.isFalse(given.has(id), `id ${id} was given before`)
              given.add(id)
            }
            // The newest go: the next append must not get their ids again.
            yield* store.acknowledge([appended[2]!.id])
            yield* store.deadLetter([appended[1]!.id], "refused")
            const next = yield* store.append(envelope(round * 10 + 3))
            assert.isFalse(given.has(next.id), `id ${next.id} was given before`)
            given.add(next.id)
            // A late acknowledgement of a removed id removes nothing.
            assert.deepStrictEqual(yield* store.acknowledge([appended[2]!.id, appended[1]!.id]), { messages: 0, bytes: 0 })
          }))
      }
      assert.strictEqual(given.size, 12)
    }))

  it.effect("ids a store did not give count for nothing", () =>
    Effect.gen(function*() {
      const { store } = yield* open(yield* temporaryDatabase)
      const { id } = yield* store.append(envelope(1))
      const none = { messages: 0, bytes: 0 }
      for (const other of ["", "0", "-1", `0${id}`, `${id}.0`, " 1", "1e0", "9007199254740993", "abc"]) {
        assert.deepStrictEqual(yield* store.acknowledge([other]), none, JSON.stringify(other))
      }
      assert.deepStrictEqual(yield* store.acknowledge([id]), { messages: 1, bytes: 100 })
    }))
})

describe("the store's life", () => {
  it.effect("appends after the layer's scope closed fail with BufferStoreError", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const store = yield* withStore(filename, ({ store }) => Effect.as(store.append(envelope(1)), store))
      const exit = yield* Effect.exit(store.append(envelope(2)))
      assert.deepStrictEqual(failureTags(exit), ["BufferStoreError"])
      const error = yield* Effect.flip(store.take("Q1", 1))
      assert.include(error.message, "the store is closed")
    }))

  it.effect("the WAL is checkpointed into the database when the last connection closes", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      yield* withStore(filename, ({ store }) => Effect.forEach([1, 2, 3], (n) => store.append(envelope(n))))
      assert.isFalse(fs.existsSync(`${filename}-wal`))
      const check = new DatabaseSync(filename, { readOnly: true })
      assert.strictEqual(check.prepare("SELECT count(*) AS n FROM envelopes").get()?.["n"], 3)
      check.close()
    }))

  it.effect("with synchronous normal, appends go on as they do with full", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      yield* withStore(filename, ({ store }) => Effect.forEach([1, 2], (n) => store.append(envelope(n))), { synchronous: "normal" })
      yield* withStore(filename, ({ store }) => Effect.map(store.take("Q1", 10), (held) => assert.deepStrictEqual(numbers(held), [1, 2])))
    }))
})
