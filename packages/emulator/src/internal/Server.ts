import { ReasonCode } from "@resilient-mq/core"
import * as net from "node:net"
import { Effect, type Fiber, FiberSet } from "effect"
import { Cmqc } from "./constants.ts"
import type { Connection, PendingGet } from "./Connection.ts"
import type { EmulatorModel } from "./Model.ts"
import { makeWireOps, type Response, type WireSession } from "./WireOps.ts"
import { MalformedFrame, type Reader } from "./wire/Codec.ts"
import { FrameDecoder, FrameKind, Op, readHeader, responseFrame } from "./wire/Frames.ts"

/** A request not answered yet. */
interface Outstanding {
  fiber: Fiber.Fiber<void> | undefined
  /** A GET's wait, once it waits: a cancel ends it. */
  pending: PendingGet | undefined
  cancelled: boolean
}

/** What the sessions of one server share. */
interface ServerContext {
  readonly model: EmulatorModel
  readonly ops: ReturnType<typeof makeWireOps>
  readonly run: (effect: Effect.Effect<void>) => Fiber.Fiber<void>
  readonly sessions: Set<Session>
}

/**
 * One TCP connection: its requests run concurrently, each answered when done. A CONNECT makes it
 * one MQ connection. When the queue manager ends that connection, outstanding requests are answered
 * with the reason and the socket is closed; when the socket closes first, the connection is lost as
 * MQ loses a client that vanished.
 */
class Session implements WireSession {
  hconn: number = Cmqc.HC_UNUSABLE_HCONN
  private readonly decoder = new FrameDecoder()
  private readonly outstanding = new Map<number, Outstanding>()
  /** Answers can still be written. */
  private open = true

  constructor(private readonly socket: net.Socket, private readonly server: ServerContext) {
    socket.setNoDelay(true)
    socket.on("data", (chunk: Uint8Array) => this.receive(chunk))
    // A reset or a write to a closed socket: `close` follows and does the work.
    socket.on("error", () => {})
    socket.on("close", () => this.gone())
  }

  connected(connection: Connection): void {
    this.hconn = connection.id
    connection.onEnd = (reason) => this.end(reason)
  }

  private receive(chunk: Uint8Array): void {
    // Once the connection ended, nothing more is answered.
    if (!this.open) return
    try {
      for (const payload of this.decoder.push(chunk)) {
        const { id, kind, reader } = readHeader(payload)
        if (kind === FrameKind.REQUEST) this.request(id, reader.u16(), reader)
        else if (kind === FrameKind.CANCEL) this.cancel(id)
        else throw new MalformedFrame(`unknown frame kind ${kind}`)
      }
    } catch (error) {
      // A stream that cannot be framed cannot be answered: the client must start again.
      if (!(error instanceof MalformedFrame)) throw error
      this.socket.destroy()
    }
  }

  private request(id: number, op: number, reader: Reader): void {
    if (this.outstanding.has(id)) throw new MalformedFrame(`request id ${id} is already outstanding`)
    const request: Outstanding = { fiber: undefined, pending: undefined, cancelled: false }
    this.outstanding.set(id, request)
    const onWait = (pending: PendingGet) => {
      request.pending = pending
      if (request.cancelled) pending.timeout()
    }
    const fiber = this.server.run(
      this.server.ops.handle(this, op, reader, onWait).pipe(Effect.map((response) => this.respond(id, op, response)))
    )
    // The request may have been answered already, while it was being started.
    if (this.outstanding.get(id) === request) request.fiber = fiber
  }

  /** A cancel ends a waiting GET: with 2033, or with the message it took already. */
  private cancel(id: number): void {
    const request = this.outstanding.get(id)
    if (request === undefined) return
    request.cancelled = true
    request.pending?.timeout()
  }

  private respond(id: number, op: number, response: Response): void {
    // Answered already when the connection ended.
    if (!this.outstanding.delete(id) || !this.open) return
    this.socket.write(responseFrame(id, response.cc, response.rc, response.results))
    if (op === Op.DISCONNECT && this.server.model.connection(this.hconn) === undefined) {
      // The connection is gone: what else is outstanding on it answers 2018, and the socket closes.
      this.hconn = Cmqc.HC_UNUSABLE_HCONN
      this.end(ReasonCode.HCONN_ERROR)
    }
  }

  /** Answers every outstanding request with `reason` and closes the socket. */
  private end(reason: number): void {
    if (!this.open) return
    this.open = false
    for (const [id, request] of this.outstanding) {
      this.socket.write(responseFrame(id, 2, reason))
      request.fiber?.interruptUnsafe()
    }
    this.outstanding.clear()
    this.socket.end()
  }

  /** The socket closed: the MQ connection, if still there, is lost (its unit of work backed out). */
  private gone(): void {
    this.open = false
    const connection = this.server.model.connection(this.hconn)
    if (connection !== undefined) {
      connection.onEnd = undefined
      this.server.model.abandon(connection)
    }
    for (const request of this.outstanding.values()) request.fiber?.interruptUnsafe()
    this.outstanding.clear()
    this.server.sessions.delete(this)
  }

  /** The server stops: as if the client had gone. */
  destroy(): void {
    this.gone()
    this.socket.destroy()
  }
}

/**
 * Serves the wire protocol (PROTOCOL.md) for a model on `host:port` until the scope closes, and
 * answers the port it listens on (a free one for port 0). Closing the scope closes every socket:
 * their connections are lost as clients that vanished.
 */
export const serve = Effect.fnUntraced(function*(model: EmulatorModel, host: string, port: number) {
  const run = yield* FiberSet.makeRuntime<never, void, never>()
  const context: ServerContext = { model, ops: makeWireOps(model), run, sessions: new Set() }
  const server = net.createServer((socket) => context.sessions.add(new Session(socket, context)))
  return yield* Effect.acquireRelease(
    Effect.callback<number, Error>((resume) => {
      const refused = (error: Error) => resume(Effect.fail(error))
      server.once("error", refused)
      server.listen(port, host, () => {
        server.off("error", refused)
        server.on("error", (error) => run(Effect.logError(`mq-emulator: the listener failed: ${error.message}`)))
        const address = server.address()
        resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : port))
      })
    }),
    () =>
      Effect.callback<void>((resume) => {
        for (const session of context.sessions) session.destroy()
        server.close(() => resume(Effect.void))
      })
  )
})
