/**
 * Works around the binding's disconnect spin (ibmmq 2.1.9 and earlier 2.x, `src/mqgeta.cc`).
 *
 * After every successful MQDISC the binding runs `cleanupConnectionContext`, which walks its
 * process-wide map of registered consumers (one entry per MQCB registered with `Get`, removed by
 * `GetDone`) and only steps past entries of the connection being closed: an entry of any other
 * connection makes it loop forever on a libuv worker thread, holding the binding's process mutex,
 * so every later disconnect hangs too. The walk ends only when no other connection has a consumer
 * registered.
 *
 * So a disconnect runs with no consumer of the process registered: the other connections'
 * consumers are parked (stopped, their queued deliveries handed over, deregistered with `GetDone`)
 * and registered again after MQDISC; the disconnecting connection deregisters its own (see
 * `Consumers.disconnecting`), which also leaves no entry behind when MQDISC fails. Registrations wait
 * while a disconnect runs, and disconnects run one at a time.
 *
 * The binding's map is one per process, whatever the number of layers built: so is the gate.
 * Connections the application makes with the binding directly are beyond its reach.
 *
 * Lock order: the gate, then a connection's lock. Nothing waits for the gate while holding a
 * connection's lock.
 */
import { Effect, Semaphore } from "effect"

/** A connection's consumers, as the gate moves them aside; each runs under its connection's lock. */
export interface Parkable {
  /** Deregisters every consumer of the connection, keeping what they hold and who waits on them. */
  readonly park: Effect.Effect<void>
  /** Registers the parked consumers again and starts those that are waited on. */
  readonly unpark: Effect.Effect<void>
}

export interface DisconnectGate {
  /** Makes a connection's consumers parkable by the disconnects of other connections. */
  readonly add: (connection: Parkable) => void
  readonly remove: (connection: Parkable) => void
  /** Runs a consumer registration (MQCB REGISTER): never while a disconnect runs. */
  readonly registering: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Runs a disconnect of `connection` with every other connection's consumers parked. */
  readonly disconnecting: <A, E, R>(connection: Parkable, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

const makeGate = (): DisconnectGate => {
  const gate = Semaphore.makeUnsafe(1)
  const connections = new Set<Parkable>()
  return {
    add: (connection) => void connections.add(connection),
    remove: (connection) => void connections.delete(connection),
    registering: (effect) => gate.withPermits(1)(effect),
    disconnecting: (connection, effect) =>
      gate.withPermits(1)(Effect.suspend(() => {
        const others = [...connections].filter((other) => other !== connection)
        return Effect.uninterruptible(Effect.forEach(others, (other) => other.park, { discard: true })).pipe(
          Effect.andThen(effect),
          Effect.ensuring(Effect.forEach(others, (other) => other.unpark, { discard: true }))
        )
      }))
  }
}

// On the global object rather than in this module: a process that loads this module twice (a test
// runner's isolated module graphs, two copies in node_modules) still has one binding, and one map.
const key = Symbol.for("@resilient-mq/ibmmq/DisconnectGate")
const holder = globalThis as typeof globalThis & { [key]?: DisconnectGate }

/** The process's gate. */
export const disconnectGate = (): DisconnectGate => (holder[key] ??= makeGate())
