import type { MessageDescriptor, Properties, QueueDefinition } from "@resilient-mq/core"
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import type { Value } from "./Attributes.ts"
import type { LocalQueueAttributes } from "./LocalQueue.ts"
import { QueueDefinitionSchema } from "./Schemas.ts"
import { MalformedFrame, Reader, Writer } from "./wire/Codec.ts"
import { readDescriptor, writeDescriptor } from "./wire/Mqmd.ts"
import { readProperties, writeProperties } from "./wire/Properties.ts"

/**
 * What a queue manager keeps across a restart of the process (`--data`), as the changes that made
 * it: replayed in order on top of the queue manager its options define, they give back its
 * committed state. Messages are known by their arrival number (`seq`), unique in the queue manager.
 */
export type JournalRecord =
  /** The QMID, and the stamp of the identifiers this run generates (each run's is later). */
  | { readonly _tag: "Identity"; readonly qmid: string; readonly stamp: number }
  | { readonly _tag: "DefineQueue"; readonly name: string; readonly definition: QueueDefinition }
  | { readonly _tag: "DeleteQueue"; readonly name: string }
  | { readonly _tag: "DefineTopic"; readonly name: string; readonly topicString: string }
  /** A permanent dynamic queue was created. */
  | {
    readonly _tag: "DynamicQueue"
    readonly name: string
    readonly attributes: LocalQueueAttributes
    readonly created: { readonly date: string; readonly time: string }
  }
  | { readonly _tag: "DropDynamicQueue"; readonly name: string }
  /** MQSET on a queue or an alias. */
  | { readonly _tag: "SetAttributes"; readonly name: string; readonly values: Readonly<Record<string, Value>> }
  /** A durable subscription was made. */
  | {
    readonly _tag: "Subscribe"
    readonly name: string
    readonly topicString: string
    readonly managed: boolean
    readonly destination: string
  }
  | { readonly _tag: "Unsubscribe"; readonly name: string }
  /** A persistent message was committed to a queue. */
  | {
    readonly _tag: "Message"
    readonly queue: string
    readonly seq: number
    readonly descriptor: MessageDescriptor
    readonly properties: Properties
    readonly body: Uint8Array
    readonly expiresAt: number | undefined
    readonly backoutCount: number
  }
  /** A persistent message left its queue (a committed get, expiry, purge). */
  | { readonly _tag: "Removed"; readonly seq: number }
  | { readonly _tag: "BackedOut"; readonly seq: number; readonly backoutCount: number }

/** Where changes are recorded as they are committed. */
export interface Journal {
  readonly append: (record: JournalRecord) => void
}

/** Where queue managers keep their journals. Its operations throw `StoreFailure`. */
export interface Store {
  /** The records kept for a queue manager, oldest first (none for a new one). */
  readonly load: (queueManager: string) => ReadonlyArray<JournalRecord>
  /** Replaces what is kept for a queue manager with `records`, and returns its journal from now on. */
  readonly rewrite: (queueManager: string, records: ReadonlyArray<JournalRecord>) => Journal
  readonly close: () => void
}

const Tag = {
  Identity: 1,
  DefineQueue: 2,
  DeleteQueue: 3,
  DefineTopic: 4,
  DynamicQueue: 5,
  DropDynamicQueue: 6,
  SetAttributes: 7,
  Subscribe: 8,
  Unsubscribe: 9,
  Message: 10,
  Removed: 11,
  BackedOut: 12
} as const

const LocalQueueAttributesSchema: Schema.Codec<LocalQueueAttributes> = Schema.Struct({
  maxDepth: Schema.Number,
  maxMessageLength: Schema.Number,
  defaultPersistent: Schema.Boolean,
  defaultPriority: Schema.Number,
  deliverySequence: Schema.Literals(["priority", "fifo"]),
  backoutThreshold: Schema.Number,
  backoutQueue: Schema.String,
  inhibitGet: Schema.mutableKey(Schema.Boolean),
  inhibitPut: Schema.mutableKey(Schema.Boolean),
  triggerControl: Schema.mutableKey(Schema.Number),
  triggerType: Schema.mutableKey(Schema.Number),
  triggerDepth: Schema.mutableKey(Schema.Number),
  triggerMsgPriority: Schema.mutableKey(Schema.Number),
  triggerData: Schema.mutableKey(Schema.String)
})

const ValuesSchema = Schema.Record(Schema.String, Schema.Union([Schema.Number, Schema.String]))

const json = <A>(schema: Schema.Codec<A>) => {
  const codec = Schema.fromJsonString(schema)
  return { encode: Schema.encodeSync(codec), decode: Schema.decodeUnknownSync(codec) }
}
const definitionJson = json(QueueDefinitionSchema)
const attributesJson = json(LocalQueueAttributesSchema)
const valuesJson = json(ValuesSchema)

const NO_EXPIRY = -1

const writeRecord = (w: Writer, record: JournalRecord): void => {
  w.u8(Tag[record._tag])
  switch (record._tag) {
    case "Identity":
      w.str(record.qmid).u32(record.stamp)
      break
    case "DefineQueue":
      w.str(record.name).str(definitionJson.encode(record.definition))
      break
    case "DeleteQueue":
    case "DropDynamicQueue":
    case "Unsubscribe":
      w.str(record.name)
      break
    case "DefineTopic":
      w.str(record.name).str(record.topicString)
      break
    case "DynamicQueue":
      w.str(record.name).str(attributesJson.encode(record.attributes)).str(record.created.date).str(record.created.time)
      break
    case "SetAttributes":
      w.str(record.name).str(valuesJson.encode(record.values))
      break
    case "Subscribe":
      w.str(record.name).str(record.topicString).u8(record.managed ? 1 : 0).str(record.destination)
      break
    case "Message":
      w.str(record.queue).f64(record.seq)
      writeDescriptor(w, record.descriptor)
      writeProperties(w, record.properties)
      w.bytes(record.body).f64(record.expiresAt ?? NO_EXPIRY).i32(record.backoutCount)
      break
    case "Removed":
      w.f64(record.seq)
      break
    case "BackedOut":
      w.f64(record.seq).i32(record.backoutCount)
  }
}

const readRecord = (r: Reader): JournalRecord => {
  const tag = r.u8()
  switch (tag) {
    case Tag.Identity:
      return { _tag: "Identity", qmid: r.str(), stamp: r.u32() }
    case Tag.DefineQueue:
      return { _tag: "DefineQueue", name: r.str(), definition: definitionJson.decode(r.str()) }
    case Tag.DeleteQueue:
      return { _tag: "DeleteQueue", name: r.str() }
    case Tag.DefineTopic:
      return { _tag: "DefineTopic", name: r.str(), topicString: r.str() }
    case Tag.DynamicQueue:
      return {
        _tag: "DynamicQueue",
        name: r.str(),
        attributes: attributesJson.decode(r.str()),
        created: { date: r.str(), time: r.str() }
      }
    case Tag.DropDynamicQueue:
      return { _tag: "DropDynamicQueue", name: r.str() }
    case Tag.SetAttributes:
      return { _tag: "SetAttributes", name: r.str(), values: valuesJson.decode(r.str()) }
    case Tag.Subscribe:
      return { _tag: "Subscribe", name: r.str(), topicString: r.str(), managed: r.u8() === 1, destination: r.str() }
    case Tag.Unsubscribe:
      return { _tag: "Unsubscribe", name: r.str() }
    case Tag.Message: {
      const queue = r.str()
      const seq = r.f64()
      const { strucId: _, version: __, persistence, ...descriptor } = readDescriptor(r)
      const properties = readProperties(r)
      const body = r.bytes()
      const expiresAt = r.f64()
      return {
        _tag: "Message",
        queue,
        seq,
        // Only persistent messages are journalled.
        descriptor: { ...descriptor, persistence: persistence === 1 ? 1 : 0 },
        properties,
        body,
        expiresAt: expiresAt === NO_EXPIRY ? undefined : expiresAt,
        backoutCount: r.i32()
      }
    }
    case Tag.Removed:
      return { _tag: "Removed", seq: r.f64() }
    case Tag.BackedOut:
      return { _tag: "BackedOut", seq: r.f64(), backoutCount: r.i32() }
    default:
      throw new MalformedFrame(`unknown journal record ${tag}`)
  }
}

/** The first bytes of a journal file: `MQEJ` and the format version. */
const MAGIC = new Uint8Array([0x4d, 0x51, 0x45, 0x4a, 1, 0, 0, 0])

const appendRecord = (w: Writer, record: JournalRecord): Writer => {
  const at = w.size
  w.u32(0)
  writeRecord(w, record)
  w.patchU32(at, w.size - at - 4)
  return w
}

const encodeRecord = (record: JournalRecord): Uint8Array => appendRecord(new Writer(), record).finish()

/** The store cannot be used: the file system refused, or a journal cannot be read. */
export class StoreFailure {
  constructor(readonly cause: unknown) {}
}

const corrupt = (problem: string) => new StoreFailure(new Error(problem))

/** Runs file-system work, its failures as `StoreFailure`s. */
const storing = <A>(f: () => A): A => {
  try {
    return f()
  } catch (error) {
    throw error instanceof StoreFailure ? error : new StoreFailure(error)
  }
}

/**
 * The records of a journal file. A record cut short at the end is one whose write never completed
 * (the process was killed during it): it and nothing else is dropped.
 */
const decodeFile = (file: string, bytes: Uint8Array): Array<JournalRecord> => {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw corrupt(`${file} is not an mq-emulator journal`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const records: Array<JournalRecord> = []
  for (let at = MAGIC.length; at + 4 <= bytes.length;) {
    const length = view.getUint32(at, true)
    if (at + 4 + length > bytes.length) break
    try {
      records.push(readRecord(new Reader(bytes.subarray(at + 4, at + 4 + length))))
    } catch (error) {
      const problem = error instanceof MalformedFrame ? error.problem : String(error)
      throw corrupt(`${file}: the record at byte ${at} cannot be read (${problem})`)
    }
    at += 4 + length
  }
  return records
}

// A queue manager name may hold `/` and `%`, which a file name must not.
const fileName = (queueManager: string): string => `${encodeURIComponent(queueManager)}.journal`

const OWNER_ONLY_FILE = 0o600
const BATCH_BYTES = 1024 * 1024
const OWNER_ONLY_DIRECTORY = 0o700

/**
 * Journals in a directory, one file per queue manager, readable by the owner only. Appends are
 * synchronous writes without fsync: what the operating system accepted survives the process being
 * killed, not the machine failing.
 */
export const fileStore = (directory: string): Store => {
  storing(() => fs.mkdirSync(directory, { recursive: true, mode: OWNER_ONLY_DIRECTORY }))
  const open = new Set<number>()
  return {
    load: (queueManager) =>
      storing(() => {
        const file = path.join(directory, fileName(queueManager))
        return fs.existsSync(file) ? decodeFile(file, fs.readFileSync(file)) : []
      }),
    rewrite: (queueManager, records) =>
      storing(() => {
        const file = path.join(directory, fileName(queueManager))
        const temporary = `${file}.tmp`
        fs.rmSync(temporary, { force: true })
        const fd = fs.openSync(temporary, "wx", OWNER_ONLY_FILE)
        try {
          let batch = new Writer().raw(MAGIC)
          for (const record of records) {
            appendRecord(batch, record)
            if (batch.size >= BATCH_BYTES) {
              fs.writeSync(fd, batch.finish())
              batch = new Writer()
            }
          }
          fs.writeSync(fd, batch.finish())
        } finally {
          fs.closeSync(fd)
        }
        // The new journal replaces the old one whole, or not at all.
        fs.renameSync(temporary, file)
        const journal = fs.openSync(file, "a", OWNER_ONLY_FILE)
        open.add(journal)
        return { append: (record) => storing(() => void fs.writeSync(journal, encodeRecord(record))) }
      }),
    close: () =>
      storing(() => {
        for (const fd of open) fs.closeSync(fd)
        open.clear()
      })
  }
}
