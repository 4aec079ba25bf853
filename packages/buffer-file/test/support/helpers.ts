import type { Envelope } from "@resilient-mq/buffer"
import { BufferStore } from "@resilient-mq/buffer"
import * as fs from "node:fs"
import * as path from "node:path"
import { temporaryDirectory } from "@resilient-mq/buffer/testing"
import { Context, Effect, Layer, type Scope } from "effect"
import { FileBufferStore, type FileStoreOptions, layerFile } from "../../src/index.ts"

/** A fresh folder (not yet created: the store creates it), removed with the scope. */
export const temporaryFolder: Effect.Effect<string, never, Scope.Scope> = Effect.map(temporaryDirectory, (dir) => path.join(dir, "store"))

/** A store over `directory`, open until the scope closes: both of its services. */
// Unbounded unless a test says otherwise: these tests are about the log; the capacity is `withCapacity`'s.
export const open = (directory: string, options: Omit<FileStoreOptions, "directory"> = {}) =>
  Layer.build(layerFile({ directory, capacity: { messages: Number.POSITIVE_INFINITY }, ...options })).pipe(
    Effect.map((context) => ({ store: Context.get(context, BufferStore), file: Context.get(context, FileBufferStore) }))
  )

/** Runs `use` on a store over `directory`, then closes it: the next `open` is a restart. */
export const withStore = <A, E>(
  directory: string,
  use: (services: Effect.Success<ReturnType<typeof open>>) => Effect.Effect<A, E>,
  options: Omit<FileStoreOptions, "directory"> = {}
) => Effect.scoped(Effect.flatMap(open(directory, options), use))

const bytes = (seed: number, length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff)

/** Envelope `n` for a destination, with a body of `size` bytes. */
export const envelope = (n: number, destination = "Q1", size = 100): Envelope => ({
  destination,
  body: bytes(n, size),
  descriptor: { correlId: bytes(n + 1, 24), priority: n % 10 },
  properties: { n },
  msgId: bytes(n + 2, 24),
  acceptedAt: 1_700_000_000_000 + n
})

/** The `n` properties of stored envelopes, in order. */
export const numbers = (stored: ReadonlyArray<{ readonly properties: Envelope["properties"] }>) =>
  stored.map((s) => s.properties["n"])

export const segmentFiles = (directory: string): Array<string> =>
  fs.readdirSync(directory).filter((name) => name.startsWith("segment-")).sort()

export const fileMode = (file: string): number => fs.statSync(file).mode & 0o777
