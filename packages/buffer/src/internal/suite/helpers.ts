import { assert } from "@effect/vitest"
import { Context, Effect, Layer, type Scope } from "effect"
import { BufferStore, type Envelope, type Stored } from "../../BufferStore.ts"

/** The store under test, as the suite's cases see it. */
export interface Target {
  readonly layer: (location: string) => Layer.Layer<BufferStore, unknown>
  readonly location: Effect.Effect<string, never, Scope.Scope>
  /** Per case, in milliseconds. */
  readonly timeout: number
}

/** A store over `location`, open until the scope closes. A store that cannot open fails the case. */
export const open = (target: Target, location: string): Effect.Effect<BufferStore["Service"], never, Scope.Scope> =>
  Layer.build(target.layer(location)).pipe(
    Effect.map((context) => Context.get(context, BufferStore)),
    Effect.orDie
  )

/** Runs `use` on a store over `location` and closes the store: what a later `open` sees is a restart. */
export const withStore = <A, E, R>(
  target: Target,
  location: string,
  use: (store: BufferStore["Service"]) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, Exclude<R, Scope.Scope>> => Effect.scoped(Effect.flatMap(open(target, location), use))

/** A fresh store over a fresh location, for the length of the case. */
export const fresh = (target: Target): Effect.Effect<BufferStore["Service"], never, Scope.Scope> =>
  Effect.flatMap(target.location, (location) => open(target, location))

/** Deterministic bytes that differ from one seed to the next (xorshift), so that a swapped or torn body shows. */
export const bytesOf = (seed: number, length: number): Uint8Array => {
  const bytes = new Uint8Array(length)
  let x = (seed * 2654435761 + 1) >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    bytes[i] = x & 0xff
  }
  return bytes
}

export const ACCEPTED_BASE = 1_700_000_000_000

/**
 * Envelope `n` for a destination: every kind of descriptor field and property value a store must keep
 * (bytes, a bigint beyond 2^53, a fraction, null, an empty string), put options, and a body whose
 * size varies with `n` (empty for 0). Accepted in the order of `n`.
 */
export const envelope = (destination: string, n: number, size = (n * 37) % 300): Envelope => ({
  destination,
  body: bytesOf(n, size),
  descriptor: {
    correlId: bytesOf(n + 1_000_000, 24),
    groupId: bytesOf(n + 2_000_000, 24),
    accountingToken: bytesOf(n + 3_000_000, 32),
    persistence: 1,
    priority: n % 10,
    expiry: n % 2 === 0 ? -1 : 600,
    format: "MQSTR",
    replyToQ: `REPLY.${n}`,
    replyToQMgr: "",
    userIdentifier: "app"
  },
  properties: {
    n,
    text: `message ${n} é ✓`,
    even: n % 2 === 0,
    fraction: n + 0.25,
    big: 2n ** 60n + BigInt(n),
    bytes: bytesOf(n + 4_000_000, 5),
    nothing: null,
    empty: ""
  },
  options: { context: "set-identity", newCorrelId: false },
  msgId: bytesOf(n + 5_000_000, 24),
  acceptedAt: ACCEPTED_BASE + n
})

/** Appends envelopes one after the other (order matters), answering what the store made of them. */
export const appendAll = (store: BufferStore["Service"], envelopes: ReadonlyArray<Envelope>) =>
  Effect.forEach(envelopes, (e) => Effect.map(store.append(e), (appended): Stored => ({ ...e, id: appended.id })))

export const idsOf = (envelopes: ReadonlyArray<{ readonly id: string }>): ReadonlyArray<string> => envelopes.map((e) => e.id)

/** Whether two byte arrays hold the same bytes (a store may hand back a `Buffer`). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

// Comparable form: bytes as hex (whatever their class), and no keys whose value is undefined.
const comparable = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return `bytes:${Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("")}`
  if (Array.isArray(value)) return value.map(comparable)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, comparable(v)])
    )
  }
  return value
}

/** Asserts that a stored envelope is the one appended, field by field. */
export const assertEnvelope = (actual: Stored | undefined, expected: Envelope, id?: string): void => {
  assert.isDefined(actual, `expected an envelope for ${expected.destination} accepted at ${expected.acceptedAt}`)
  if (actual === undefined) return
  if (id !== undefined) assert.strictEqual(actual.id, id)
  assert.strictEqual(actual.destination, expected.destination)
  assert.strictEqual(actual.acceptedAt, expected.acceptedAt)
  assert.isTrue(sameBytes(actual.body, expected.body), `the body of ${actual.id} is not the one appended`)
  assert.isTrue(sameBytes(actual.msgId, expected.msgId), `the MsgId of ${actual.id} is not the one appended`)
  assert.deepStrictEqual(comparable(actual.descriptor), comparable(expected.descriptor))
  assert.deepStrictEqual(comparable(actual.properties), comparable(expected.properties))
  assert.deepStrictEqual(comparable(actual.options ?? {}), comparable(expected.options ?? {}))
}

/** Asserts that `actual` holds exactly the expected envelopes, in that order. */
export const assertEnvelopes = (actual: ReadonlyArray<Stored>, expected: ReadonlyArray<Stored>): void => {
  assert.deepStrictEqual(idsOf(actual), idsOf(expected))
  actual.forEach((stored, i) => assertEnvelope(stored, expected[i]!))
}

/** Everything a destination holds, in order. */
export const everything = (store: BufferStore["Service"], destination: string) =>
  store.take(destination, Number.MAX_SAFE_INTEGER)

export const bodyBytes = (envelopes: ReadonlyArray<Envelope>): number => envelopes.reduce((sum, e) => sum + e.body.length, 0)
