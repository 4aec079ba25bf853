import type { DeadLetter, Depth, Envelope, EnvelopeId, Removed, Stored } from "@resilient-mq/buffer"
import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from "node:sqlite"
import { Predicate } from "effect"
import { decodeMeta, encodeMeta, MalformedRow } from "./codec.ts"

/** The outcome of one append of a group. */
export type Outcome = { readonly id: EnvelopeId } | { readonly error: unknown }

type Row = Record<string, SQLOutputValue>

/**
 * Rows per INSERT statement, the largest that fits first: in `node:sqlite` a statement's own cost
 * is about that of the row it inserts, and one statement for 64 rows makes appends about half
 * again as fast.
 */
const CHUNKS: ReadonlyArray<number> = [64, 16, 4, 1]

const numeric = (row: Row, column: string): number => {
  const value = row[column]
  if (!Predicate.isNumber(value)) throw new MalformedRow(`column ${column} is not a number`)
  return value
}
const text = (row: Row, column: string): string => {
  const value = row[column]
  if (!Predicate.isString(value)) throw new MalformedRow(`column ${column} is not text`)
  return value
}
const blob = (row: Row, column: string): Uint8Array => {
  const value = row[column]
  if (!Predicate.isUint8Array(value)) throw new MalformedRow(`column ${column} is not a blob`)
  return value
}

/** The columns of an envelope, in `envelopes` and `dead_letters` alike. */
const ENVELOPE_COLUMNS = "e.seq, d.name AS destination, e.accepted_at, e.msg_id, e.meta, e.body"

const storedOf = (row: Row): Stored => {
  const meta = row["meta"]
  const { descriptor, options, properties } = decodeMeta(meta === null ? null : text(row, "meta"))
  const stored: Stored = {
    id: String(numeric(row, "seq")),
    destination: text(row, "destination"),
    body: blob(row, "body"),
    descriptor,
    properties,
    msgId: blob(row, "msg_id"),
    acceptedAt: numeric(row, "accepted_at")
  }
  return options === undefined ? stored : { ...stored, options }
}

/** `seq` of an id this store gave, or `undefined`: any other string is an id it does not hold. */
const seqOf = (id: EnvelopeId): number | undefined => {
  const seq = Number(id)
  return Number.isSafeInteger(seq) && seq > 0 && String(seq) === id ? seq : undefined
}

/**
 * The store's statements over one connection, all synchronous (`node:sqlite` has no other kind).
 * Every write is one transaction that begins and ends within one call, so that nothing else on the
 * connection can run in the middle of it. A call that fails because another connection holds the
 * write lock throws before it wrote anything, and can be made again.
 */
export class Database {
  /** Write transactions that appended envelopes: one per group. */
  commits = 0
  appends = 0

  // Destination ids never change once committed (rows are never deleted), so a process may keep them.
  private readonly ids = new Map<string, number>()

  // Multi-row INSERTs by their number of rows, prepared when first needed.
  private readonly inserts = new Map<number, StatementSync>()
  private readonly selectLastSeq: StatementSync
  private readonly updateAppended: StatementSync
  private readonly subtractRemoved: StatementSync
  private readonly insertDestination: StatementSync
  private readonly selectDestination: StatementSync
  private readonly selectEnvelopes: StatementSync
  private readonly deleteEnvelope: StatementSync
  private readonly copyToDeadLetters: StatementSync
  private readonly selectDestinations: StatementSync
  private readonly selectDepth: StatementSync
  private readonly selectDepthOf: StatementSync
  private readonly selectDeadLetters: StatementSync
  private readonly selectDeadLettersOf: StatementSync
  // Prepared once: `exec` would parse them again for every transaction, which a lone append pays
  // in full (measured: about 4% of its commit).
  private readonly begin: StatementSync
  private readonly commit: StatementSync
  private readonly rollback: StatementSync

  private readonly db: DatabaseSync

  constructor(db: DatabaseSync) {
    this.db = db
    this.begin = db.prepare("BEGIN IMMEDIATE")
    this.commit = db.prepare("COMMIT")
    this.rollback = db.prepare("ROLLBACK")
    this.selectLastSeq = db.prepare("SELECT coalesce(max(last_seq), 0) AS seq FROM destinations")
    this.updateAppended = db.prepare(
      "UPDATE destinations SET messages = messages + ?, bytes = bytes + ?, last_seq = ? WHERE id = ?"
    )
    this.subtractRemoved = db.prepare("UPDATE destinations SET messages = messages - ?, bytes = bytes - ? WHERE id = ?")
    this.insertDestination = db.prepare("INSERT INTO destinations (name) VALUES (?) ON CONFLICT (name) DO NOTHING")
    this.selectDestination = db.prepare("SELECT id FROM destinations WHERE name = ?")
    this.selectEnvelopes = db.prepare(
      `SELECT ${ENVELOPE_COLUMNS} FROM envelopes e JOIN destinations d ON d.id = e.destination
       WHERE e.destination = ? ORDER BY e.seq LIMIT ?`
    )
    this.deleteEnvelope = db.prepare("DELETE FROM envelopes WHERE seq = ? RETURNING destination, length(body) AS bytes")
    this.copyToDeadLetters = db.prepare(
      `INSERT INTO dead_letters (seq, destination, accepted_at, msg_id, meta, reason, dead_lettered_at, body)
       SELECT seq, destination, accepted_at, msg_id, meta, ?, ?, body FROM envelopes WHERE seq = ?`
    )
    this.selectDestinations = db.prepare("SELECT name FROM destinations WHERE messages > 0 ORDER BY id")
    // The oldest of a destination is taken to be its first envelope by `seq`, one row found through
    // the index instead of all of them read: a destination's envelopes are appended in about the
    // order they were accepted (exactly, for messages sent one after the other).
    const oldest = "(SELECT accepted_at FROM envelopes e WHERE e.destination = d.id ORDER BY e.seq LIMIT 1)"
    this.selectDepth = db.prepare(
      `SELECT coalesce(sum(messages), 0) AS messages, coalesce(sum(bytes), 0) AS bytes, min(${oldest}) AS oldest
       FROM destinations d WHERE messages > 0`
    )
    this.selectDepthOf = db.prepare(`SELECT messages, bytes, ${oldest} AS oldest FROM destinations d WHERE name = ?`)
    const deadLetters = `SELECT ${ENVELOPE_COLUMNS}, e.reason, e.dead_lettered_at FROM dead_letters e JOIN destinations d ON d.id = e.destination`
    this.selectDeadLetters = db.prepare(`${deadLetters} ORDER BY e.seq`)
    this.selectDeadLettersOf = db.prepare(`${deadLetters} WHERE d.name = ? ORDER BY e.seq`)
  }

  /**
   * Appends a group in one transaction (`BEGIN IMMEDIATE`, the inserts, `COMMIT`): one commit, one
   * sync of the WAL, for all of them. The rows go in with multi-row INSERTs (see `CHUNKS`). An
   * envelope that fails alone (it cannot be encoded, or its row cannot be inserted: the statement
   * is undone, the transaction goes on) fails only itself; a failure that ends the transaction, or
   * of the commit, fails every envelope of the group, since none of them is on disk.
   */
  appendGroup(envelopes: ReadonlyArray<Envelope>): ReadonlyArray<Outcome> {
    const db = this.db
    try {
      this.begin.run()
    } catch (error) {
      return envelopes.map(() => ({ error }))
    }
    const count = envelopes.length
    const outcomes: Array<Outcome> = new Array(count)
    // Destinations created in this transaction: cached only once it commits.
    const created = new Map<string, number>()
    try {
      // What each envelope is inserted with, by its index in the group (a seq of 0: it failed before).
      const seqs: Array<number> = new Array(count).fill(0)
      const destinations: Array<number> = new Array(count)
      const metas: Array<string | null> = new Array(count)
      const ready: Array<number> = []
      // Ids continue from the highest ever given (see `last_seq` in the schema), in queue order.
      let seq = numeric(this.selectLastSeq.get() ?? {}, "seq")
      for (let index = 0; index < count; index++) {
        const envelope = envelopes[index]!
        try {
          destinations[index] = this.ids.get(envelope.destination) ?? created.get(envelope.destination) ??
            this.createDestination(envelope.destination, created)
          metas[index] = encodeMeta(envelope)
          seqs[index] = ++seq
          ready.push(index)
        } catch (error) {
          if (!db.isTransaction) throw error
          outcomes[index] = { error }
        }
      }
      const insert = (from: number, to: number) => {
        const values: Array<SQLInputValue> = []
        for (let k = from; k < to; k++) {
          const index = ready[k]!
          const envelope = envelopes[index]!
          values.push(seqs[index]!, destinations[index]!, envelope.acceptedAt, envelope.msgId, metas[index]!, envelope.body)
        }
        this.insertStatement(to - from).run(...values)
        for (let k = from; k < to; k++) outcomes[ready[k]!] = { id: String(seqs[ready[k]!]) }
      }
      for (let at = 0; at < ready.length;) {
        const size = CHUNKS.find((chunk) => chunk <= ready.length - at) ?? 1
        try {
          insert(at, at + size)
        } catch (error) {
          if (!db.isTransaction) throw error
          // The statement was undone whole: one row at a time, to fail only the envelope at fault.
          for (let k = at; k < at + size; k++) {
            try {
              insert(k, k + 1)
            } catch (error) {
              if (!db.isTransaction) throw error
              outcomes[ready[k]!] = { error }
              seqs[ready[k]!] = 0
            }
          }
        }
        at += size
      }
      this.addAppended(envelopes, destinations, seqs)
      this.commit.run()
      for (const [name, id] of created) this.ids.set(name, id)
      this.commits += 1
      this.appends += ready.length
      return outcomes
    } catch (error) {
      if (db.isTransaction) this.rollback.run()
      return envelopes.map(() => ({ error }))
    }
  }

  /** Adds what was inserted (a seq other than 0) to its destinations' counts, once per destination. */
  private addAppended(envelopes: ReadonlyArray<Envelope>, destinations: ReadonlyArray<number>, seqs: ReadonlyArray<number>): void {
    const added = new Map<number, { messages: number; bytes: number; lastSeq: number }>()
    for (let index = 0; index < envelopes.length; index++) {
      const seq = seqs[index]!
      if (seq === 0) continue
      const destination = destinations[index]!
      const bytes = envelopes[index]!.body.length
      const sum = added.get(destination)
      if (sum === undefined) added.set(destination, { messages: 1, bytes, lastSeq: seq })
      else {
        sum.messages += 1
        sum.bytes += bytes
        sum.lastSeq = seq
      }
    }
    for (const [destination, { bytes, lastSeq, messages }] of added) {
      this.updateAppended.run(messages, bytes, lastSeq, destination)
    }
  }

  private insertStatement(rows: number): StatementSync {
    let statement = this.inserts.get(rows)
    if (statement === undefined) {
      statement = this.db.prepare(
        `INSERT INTO envelopes (seq, destination, accepted_at, msg_id, meta, body) VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?)").join(", ")}`
      )
      this.inserts.set(rows, statement)
    }
    return statement
  }

  private createDestination(name: string, created: Map<string, number>): number {
    this.insertDestination.run(name)
    const id = numeric(this.selectDestination.get(name) ?? {}, "id")
    created.set(name, id)
    return id
  }

  private destinationId(name: string): number | undefined {
    const cached = this.ids.get(name)
    if (cached !== undefined) return cached
    const row = this.selectDestination.get(name)
    if (row === undefined) return undefined
    const id = numeric(row, "id")
    this.ids.set(name, id)
    return id
  }

  /** At most `max` envelopes of a destination, oldest first: only those rows are read. */
  take(destination: string, max: number): ReadonlyArray<Stored> {
    const id = this.destinationId(destination)
    const limit = Math.floor(max)
    if (id === undefined || !(limit > 0)) return []
    return this.selectEnvelopes.all(id, Math.min(limit, Number.MAX_SAFE_INTEGER)).map(storedOf)
  }

  /**
   * Removes envelopes in one transaction, `before` each removal (a dead letter copies it first), and
   * takes them off their destinations' counts. Ids not held, and repeated ids, count for nothing.
   */
  private remove(ids: ReadonlyArray<EnvelopeId>, before: (seq: number) => void): Removed {
    const seqs = new Set<number>()
    for (const id of ids) {
      const seq = seqOf(id)
      if (seq !== undefined) seqs.add(seq)
    }
    if (seqs.size === 0) return { messages: 0, bytes: 0 }
    const db = this.db
    this.begin.run()
    try {
      const removed = new Map<number, { messages: number; bytes: number }>()
      let messages = 0
      let bytes = 0
      for (const seq of seqs) {
        before(seq)
        const row = this.deleteEnvelope.get(seq)
        if (row === undefined) continue
        const destination = numeric(row, "destination")
        const size = numeric(row, "bytes")
        const sum = removed.get(destination) ?? { messages: 0, bytes: 0 }
        sum.messages += 1
        sum.bytes += size
        removed.set(destination, sum)
        messages += 1
        bytes += size
      }
      for (const [destination, sum] of removed) this.subtractRemoved.run(sum.messages, sum.bytes, destination)
      this.commit.run()
      return { messages, bytes }
    } catch (error) {
      if (db.isTransaction) this.rollback.run()
      throw error
    }
  }

  acknowledge(ids: ReadonlyArray<EnvelopeId>): Removed {
    return this.remove(ids, () => {})
  }

  deadLetter(ids: ReadonlyArray<EnvelopeId>, reason: string, deadLetteredAt: number): Removed {
    // Copied inside SQLite (INSERT … SELECT): the body never comes into memory.
    return this.remove(ids, (seq) => this.copyToDeadLetters.run(reason, deadLetteredAt, seq))
  }

  destinations(): ReadonlyArray<string> {
    return this.selectDestinations.all().map((row) => text(row, "name"))
  }

  depth(destination: string | undefined): Depth {
    const row = destination === undefined ? this.selectDepth.get() : this.selectDepthOf.get(destination)
    if (row === undefined) return { messages: 0, bytes: 0, oldestAcceptedAt: undefined }
    const oldest = row["oldest"]
    return {
      messages: numeric(row, "messages"),
      bytes: numeric(row, "bytes"),
      oldestAcceptedAt: Predicate.isNumber(oldest) ? oldest : undefined
    }
  }

  deadLetters(destination: string | undefined): ReadonlyArray<DeadLetter> {
    const rows = destination === undefined ? this.selectDeadLetters.all() : this.selectDeadLettersOf.all(destination)
    return rows.map((row) => ({ ...storedOf(row), reason: text(row, "reason"), deadLetteredAt: numeric(row, "dead_lettered_at") }))
  }
}
