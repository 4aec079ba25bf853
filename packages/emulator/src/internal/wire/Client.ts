import * as net from "node:net"
import { Deferred, Effect, Schema } from "effect"
import { MalformedFrame, type Reader, type Writer } from "./Codec.ts"
import { cancelFrame, FrameDecoder, FrameKind, readHeader, requestFrame } from "./Frames.ts"

/** A response: MQ's completion and reason codes, and a reader positioned at the results. */
export interface Answer {
  readonly cc: number
  readonly rc: number
  readonly results: Reader
}

/** The server closed the connection before answering. */
export class WireClosed extends Schema.TaggedError<WireClosed>()("WireClosed", {}) {
  override get message(): string {
    return "the emulator closed the connection"
  }
}

/** One TCP connection to an emulator server, speaking PROTOCOL.md from the client's side. */
export interface WireClient {
  /** Sends a request; `answer` waits for its response. */
  readonly send: (
    op: number,
    args?: (w: Writer) => void
  ) => { readonly id: number; readonly answer: Effect.Effect<Answer, WireClosed> }
  readonly cancel: (id: number) => void
  /** Completes when the connection closes. */
  readonly closed: Effect.Effect<void>
}

/** Connects to `host:port`; the scope closes the connection. */
export const connectWire = Effect.fnUntraced(function*(host: string, port: number) {
  const socket = yield* Effect.acquireRelease(
    Effect.callback<net.Socket, Error>((resume) => {
      const socket = net.connect({ host, port })
      const refused = (error: Error) => resume(Effect.fail(error))
      socket.once("error", refused)
      socket.once("connect", () => {
        socket.off("error", refused)
        resume(Effect.succeed(socket))
      })
      return Effect.sync(() => socket.destroy())
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )
  socket.setNoDelay(true)
  const pending = new Map<number, Deferred.Deferred<Answer, WireClosed>>()
  const closed = Deferred.makeUnsafe<void>()
  const decoder = new FrameDecoder()
  let lastId = 0

  const close = () => {
    for (const answer of pending.values()) Deferred.doneUnsafe(answer, Effect.fail(new WireClosed()))
    pending.clear()
    Deferred.doneUnsafe(closed, Effect.void)
  }
  socket.on("data", (chunk: Uint8Array) => {
    try {
      for (const payload of decoder.push(chunk)) {
        const { id, kind, reader } = readHeader(payload)
        if (kind !== FrameKind.RESPONSE) throw new MalformedFrame(`a client receives responses, not kind ${kind}`)
        const cc = reader.i32()
        const rc = reader.i32()
        const answer = pending.get(id)
        pending.delete(id)
        if (answer !== undefined) Deferred.doneUnsafe(answer, Effect.succeed({ cc, rc, results: reader }))
      }
    } catch (error) {
      if (!(error instanceof MalformedFrame)) throw error
      socket.destroy()
    }
  })
  // A reset: `close` follows.
  socket.on("error", () => {})
  socket.on("close", close)

  const client: WireClient = {
    send: (op, args) => {
      const id = ++lastId
      const answer = Deferred.makeUnsafe<Answer, WireClosed>()
      if (socket.destroyed) Deferred.doneUnsafe(answer, Effect.fail(new WireClosed()))
      else {
        pending.set(id, answer)
        socket.write(requestFrame(id, op, (w) => args?.(w)))
      }
      return { id, answer: Deferred.await(answer) }
    },
    cancel: (id) => void socket.write(cancelFrame(id)),
    closed: Deferred.await(closed)
  }
  return client
})
