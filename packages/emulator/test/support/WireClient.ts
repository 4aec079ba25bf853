// A minimal MQI client over the wire protocol (PROTOCOL.md), for tests of the server: each call
// sends one request frame on one TCP connection and hands back the raw answer.
import { type Properties, IDENTIFIER_NONE } from "@resilient-mq/core"
import { Effect } from "effect"
import type { Writer } from "../../src/internal/wire/Codec.ts"
import { type Answer, connectWire, type WireClient } from "../../src/internal/wire/Client.ts"
import { Op } from "../../src/internal/wire/Frames.ts"
import { type DescriptorFields, readDescriptor, writeDescriptor } from "../../src/internal/wire/Mqmd.ts"
import { readProperties, writeProperties } from "../../src/internal/wire/Properties.ts"

/** MQMD_DEFAULT of cmqc.h, as the C library sends it for an application that set nothing. */
export const mqmdDefault: DescriptorFields = {
  report: 0,
  msgType: 8,
  expiry: -1,
  feedback: 0,
  encoding: 546,
  codedCharSetId: 0,
  format: "",
  priority: -1,
  persistence: 2,
  msgId: IDENTIFIER_NONE,
  correlId: IDENTIFIER_NONE,
  backoutCount: 0,
  replyToQ: "",
  replyToQMgr: "",
  userIdentifier: "",
  accountingToken: new Uint8Array(32),
  applIdentityData: "",
  putApplType: 0,
  putApplName: "",
  putDate: "",
  putTime: "",
  applOriginData: "",
  groupId: IDENTIFIER_NONE,
  msgSeqNumber: 1,
  offset: 0,
  msgFlags: 0,
  originalLength: -1
}

export const MQOO = { INPUT_SHARED: 0x2, OUTPUT: 0x10, INQUIRE: 0x20 } as const
export const MQPMO = { SYNCPOINT: 0x2 } as const
export const MQGMO = { WAIT: 0x1, SYNCPOINT: 0x2, ACCEPT_TRUNCATED_MSG: 0x40 } as const
export const MQOT = { Q: 1 } as const

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A message a GET answered with. */
export interface WireMessage {
  readonly descriptor: DescriptorFields
  readonly properties: Properties
  readonly dataLength: number
  readonly text: string
}

export const readMessage = (answer: Answer): WireMessage => {
  const { strucId: _, version: __, ...descriptor } = readDescriptor(answer.results)
  const properties = readProperties(answer.results)
  const dataLength = answer.results.i32()
  return { descriptor, properties, dataLength, text: decoder.decode(answer.results.bytes()) }
}

const expectOk = (what: string) => (answer: Answer): Effect.Effect<Answer> =>
  answer.cc === 0 ? Effect.succeed(answer) : Effect.die(new Error(`${what} answered cc ${answer.cc} rc ${answer.rc}`))

export interface PutOptions {
  readonly pmo?: number
  readonly descriptor?: Partial<DescriptorFields>
  readonly properties?: Properties
}

export interface GetOptions {
  readonly gmo?: number
  /** Milliseconds, -1 unlimited; with it the GET waits. */
  readonly wait?: number
  readonly bufferLength?: number
}

/** One TCP connection, an MQ connection once `connect` answered. */
export const connectClient = Effect.fnUntraced(function*(port: number) {
  const wire: WireClient = yield* connectWire("127.0.0.1", port)
  const call = (op: number, args?: (w: Writer) => void) => wire.send(op, args).answer

  const putArgs = (body: string, options: PutOptions) => (w: Writer) => {
    writeDescriptor(w, { ...mqmdDefault, ...options.descriptor })
    w.i32(options.pmo ?? 0)
    writeProperties(w, options.properties ?? {})
    w.bytes(encoder.encode(body))
  }

  return {
    wire,
    call,
    connect: (queueManager = "QM1") =>
      call(Op.CONNECT, (w) => w.str(queueManager).str("DEV.APP.SVRCONN").str("").str("").str("").str("test").i32(0)),
    /** Opens a queue and answers its handle. */
    open: (name: string, options: number) =>
      call(Op.OPEN, (w) => w.i32(MQOT.Q).str(name).str("").str("AMQ.*").str("").i32(options)).pipe(
        Effect.flatMap(expectOk(`OPEN ${name}`)),
        Effect.map((answer) => answer.results.i32())
      ),
    /** Sends a PUT; its `answer` comes when the server answers. */
    sendPut: (hobj: number, body: string, options: PutOptions = {}) =>
      wire.send(Op.PUT, (w) => putArgs(body, options)(w.i32(hobj))),
    put: (hobj: number, body: string, options: PutOptions = {}) =>
      call(Op.PUT, (w) => putArgs(body, options)(w.i32(hobj))),
    /** Sends a GET; its `answer` comes when the server answers, `id` cancels it. */
    get: (hobj: number, options: GetOptions = {}) =>
      wire.send(Op.GET, (w) => {
        writeDescriptor(w.i32(hobj), mqmdDefault)
        w.i32((options.gmo ?? 0) | (options.wait === undefined ? 0 : MQGMO.WAIT)).i32(0x3)
        w.i32(options.wait ?? 0).i32(options.bufferLength ?? -1)
      }),
    subscribe: (topicString: string, options: number) =>
      call(Op.SUBSCRIBE, (w) => w.i32(options).str("").str(topicString).str("").i32(-1)),
    commit: () => call(Op.COMMIT),
    backout: () => call(Op.BACKOUT),
    disconnect: () => call(Op.DISCONNECT)
  }
})

export type MqClient = Effect.Success<ReturnType<typeof connectClient>>
