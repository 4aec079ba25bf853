import { Attribute, type AttributeName, type Message, MQSO, type ObjectDescriptor, type PutDescriptor, ReasonCode } from "@resilient-mq/core"
import { Duration, Effect, Schema } from "effect"
import { type Call, handleOf, makeCalls } from "./Calls.ts"
import { Cmqc } from "./constants.ts"
import type { Connection, PendingGet } from "./Connection.ts"
import { makeControl } from "./EmulatorControl.ts"
import type { EmulatorModel } from "./Model.ts"
import { type MqFailure, refuse, TruncatedMessageFailed } from "./MqFailure.ts"
import type { GetRequest, PutRequest, QueueManager } from "./QueueManager.ts"
import { MalformedFrame, type Reader, Writer } from "./wire/Codec.ts"
import { type ControlName, ControlOps, type ControlRequest, type ControlResult } from "./wire/Control.ts"
import { Op } from "./wire/Frames.ts"
import { readDescriptor, type WireDescriptor, writeDescriptor } from "./wire/Mqmd.ts"
import { readProperties, writeProperties } from "./wire/Properties.ts"

/**
 * The answer to a request: MQ's completion and reason codes and, when there are any, the results,
 * encoded already (so that a failure to encode them is answered like any other).
 */
export interface Response {
  readonly cc: number
  readonly rc: number
  readonly results?: Uint8Array | undefined
}

/** What the ops need of the TCP connection they arrive on. */
export interface WireSession {
  /** The Hconn its CONNECT made, `MQHC_UNUSABLE_HCONN` before. */
  readonly hconn: number
  readonly connected: (connection: Connection) => void
}

const encode = (write: (w: Writer) => void): Uint8Array => {
  const writer = new Writer()
  write(writer)
  return writer.finish()
}

const ok = (write?: (w: Writer) => void): Response => ({ cc: 0, rc: 0, results: write && encode(write) })

const messageResults = (message: Message): Uint8Array =>
  encode((w) => {
    writeDescriptor(w, message.descriptor)
    writeProperties(w, message.properties)
    w.i32(message.dataLength).bytes(message.body)
  })

/** A refusal as the wire answers it; 2080 still carries the message's descriptor and length. */
const refusal = (failure: MqFailure): Response => ({
  cc: failure.warning ? 1 : 2,
  rc: failure.reason,
  results: failure instanceof TruncatedMessageFailed ? messageResults(failure.message) : undefined
})

const blankToUndefined = (s: string): string | undefined => (s.trim() === "" ? undefined : s)

/** The MQMD a request carries must be one (StrucId `MD`, version 1 or 2), else 2026. */
const checkDescriptor = (md: WireDescriptor): void => {
  if (md.strucId !== "MD" || md.version < 1 || md.version > 2) refuse(ReasonCode.MD_ERROR)
}

const putRequest = (md: WireDescriptor, options: number, properties: PutRequest["properties"], body: Uint8Array) => {
  checkDescriptor(md)
  const descriptor: PutDescriptor = {
    ...md,
    // The model refuses a persistence other than 0, 1 and 2 with 2047, as MQ does.
    persistence: md.persistence as Exclude<PutDescriptor["persistence"], undefined>
  }
  return { body, descriptor, properties, options } satisfies PutRequest
}

/** MQOD: an object type and its names, as the model knows objects. */
const objectOf = (
  qm: QueueManager,
  type: number,
  name: string,
  queueManager: string,
  objectString: string,
  dynamicQueueName?: string
): ObjectDescriptor => {
  switch (type) {
    case Cmqc.OT_Q:
      return {
        type: "queue",
        name,
        queueManager,
        ...(dynamicQueueName === undefined ? {} : { dynamicQueueName })
      }
    case Cmqc.OT_TOPIC: {
      const topicObject = blankToUndefined(name)
      const topicString = blankToUndefined(objectString)
      return {
        type: "topic",
        ...(topicObject === undefined ? {} : { name: topicObject }),
        ...(topicString === undefined ? {} : { topicString })
      }
    }
    case Cmqc.OT_Q_MGR:
      // The queue-manager object of another queue manager is not valid for the type (MQ-BEHAVIOUR §2.3).
      if (queueManager.trim() !== "" && queueManager.trim() !== qm.name) refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
      return { type: "queue-manager" }
    case Cmqc.OT_NAMELIST:
    case Cmqc.OT_PROCESS:
      // Known types, but the emulator defines no namelists or processes.
      return refuse(ReasonCode.UNKNOWN_OBJECT_NAME, name)
    default:
      return refuse(ReasonCode.OBJECT_TYPE_ERROR)
  }
}

const attributeBySelector: ReadonlyMap<number, AttributeName> = new Map(
  Object.entries(Attribute).map(([name, attribute]) => [attribute.selector, name as AttributeName])
)

const attributeOf = (selector: number): AttributeName =>
  attributeBySelector.get(selector) ?? refuse(ReasonCode.SELECTOR_ERROR)

type ControlHandlers = { readonly [K in ControlName]: (request: ControlRequest<K>) => Effect.Effect<ControlResult<K>> }

/**
 * The wire ops of PROTOCOL.md on the model: every request of a TCP connection goes through
 * `handle`, which decodes the op's arguments, makes the model call and encodes the answer. It never
 * fails: a malformed request or a defect is answered with 2195 (MQRC_UNEXPECTED_ERROR).
 */
export const makeWireOps = (model: EmulatorModel) => {
  const { admit, get, onConnection, run } = makeCalls(model, (_: Call, failure: MqFailure) => failure)
  const { control, emulator } = makeControl(model)

  const identity = (connection: Connection) => (w: Writer) =>
    w.str(connection.queueManager.name).str(connection.queueManager.qmid)

  const connect = (session: WireSession, r: Reader): Effect.Effect<Response, MqFailure> => {
    const queueManager = r.str()
    const channel = r.str()
    r.str() // the endpoint reached: every queue manager of the server listens on its port
    const user = r.str()
    const password = r.str()
    const applicationName = r.str()
    r.i32() // MQCNO options: reconnecting is the client library's business
    const existing = model.connection(session.hconn)
    if (existing !== undefined) {
      return Effect.succeed({ cc: 1, rc: Cmqc.RC_ALREADY_CONNECTED, results: encode(identity(existing)) })
    }
    const request = {
      queueManager: blankToUndefined(queueManager),
      channel: blankToUndefined(channel),
      user: blankToUndefined(user),
      password: blankToUndefined(password),
      applicationName: blankToUndefined(applicationName)
    }
    return admit(request, queueManager).pipe(
      Effect.flatMap(({ call, queueManager }) => run(call, () => model.connect(queueManager, request))),
      Effect.map((connection) => {
        session.connected(connection)
        return ok(identity(connection))
      })
    )
  }

  const getMessage = (
    session: WireSession,
    r: Reader,
    onWait: (pending: PendingGet) => void
  ): Effect.Effect<Response, MqFailure> => {
    const hobj = r.i32()
    const md = readDescriptor(r)
    const options = r.i32()
    const matchOptions = r.i32()
    const waitInterval = r.i32()
    const bufferLength = r.i32()
    const request: GetRequest = {
      options,
      matchOptions,
      waitInterval,
      match: { msgId: md.msgId, correlId: md.correlId, groupId: md.groupId },
      maxLength: bufferLength < 0 ? undefined : bufferLength
    }
    return onConnection("MQGET", session.hconn, undefined, (connection, call) =>
      run(call, () => checkDescriptor(md)).pipe(
        Effect.andThen(get(connection, call, hobj, request, onWait)),
        Effect.map((message): Response => {
          if (message === undefined) return { cc: 2, rc: ReasonCode.NO_MSG_AVAILABLE }
          const truncated = message.body.length < message.dataLength
          return {
            cc: truncated ? 1 : 0,
            rc: truncated ? ReasonCode.TRUNCATED_MSG_ACCEPTED : 0,
            results: messageResults(message)
          }
        })
      ))
  }

  const mqi = (
    session: WireSession,
    op: number,
    r: Reader,
    onWait: (pending: PendingGet) => void
  ): Effect.Effect<Response, MqFailure> => {
    const on = (verb: Call["verb"], work: (connection: Connection) => Response) =>
      onConnection(verb, session.hconn, undefined, (connection, call) => run(call, () => work(connection)))
    switch (op) {
      case Op.CONNECT:
        return connect(session, r)
      case Op.DISCONNECT:
        return on("MQDISC", (connection) => {
          model.disconnect(connection)
          return ok()
        })
      case Op.OPEN: {
        const type = r.i32()
        const name = r.str()
        const queueManager = r.str()
        const dynamicQueueName = r.str()
        const objectString = r.str()
        const options = r.i32()
        return on("MQOPEN", (connection) => {
          const qm = connection.queueManager
          const handle = qm.open(connection, objectOf(qm, type, name, queueManager, objectString, dynamicQueueName), options)
          return ok((w) => w.i32(handle.id).str(handle.name).str(qm.name))
        })
      }
      case Op.CLOSE: {
        const hobj = r.i32()
        const options = r.i32()
        return on("MQCLOSE", (connection) => {
          connection.queueManager.close(handleOf(connection, hobj), options)
          return ok()
        })
      }
      case Op.PUT: {
        const hobj = r.i32()
        const md = readDescriptor(r)
        const options = r.i32()
        const properties = readProperties(r)
        const body = r.bytes()
        return on("MQPUT", (connection) => {
          const put = connection.queueManager.put(handleOf(connection, hobj), putRequest(md, options, properties, body))
          return ok((w) => writeDescriptor(w, put))
        })
      }
      case Op.PUT1: {
        const type = r.i32()
        const name = r.str()
        const queueManager = r.str()
        const objectString = r.str()
        const md = readDescriptor(r)
        const options = r.i32()
        const properties = readProperties(r)
        const body = r.bytes()
        return on("MQPUT1", (connection) => {
          const qm = connection.queueManager
          const object = objectOf(qm, type, name, queueManager, objectString)
          const put = qm.put1(connection, object, putRequest(md, options, properties, body))
          return ok((w) => writeDescriptor(w, put))
        })
      }
      case Op.GET:
        return getMessage(session, r, onWait)
      case Op.BEGIN:
        return on("MQBEGIN", (connection) => connection.queueManager.begin())
      case Op.COMMIT:
        return on("MQCMIT", (connection) => {
          connection.queueManager.commit(connection)
          return ok()
        })
      case Op.BACKOUT:
        return on("MQBACK", (connection) => {
          connection.queueManager.backout(connection)
          return ok()
        })
      case Op.SUBSCRIBE: {
        const options = r.i32()
        const topicObject = blankToUndefined(r.str())
        const topicString = blankToUndefined(r.str())
        const name = blankToUndefined(r.str())
        const hobj = r.i32()
        // A managed subscription's handle is ignored (the binding passes MQHO_UNUSABLE_HOBJ); without
        // one, a resumed subscription reopens its recorded destination.
        const destination = (options & MQSO.MANAGED) !== 0 || hobj === Cmqc.HO_NONE || hobj === Cmqc.HO_UNUSABLE_HOBJ
          ? undefined
          : hobj
        return on("MQSUB", (connection) => {
          const handle = connection.queueManager.subscribe(connection, {
            options,
            topicObject,
            topicString,
            name,
            destination
          })
          return ok((w) => w.i32(handle.id).i32(handle.destination.id).str(handle.subscription.topicString))
        })
      }
      case Op.INQUIRE: {
        const hobj = r.i32()
        const selectors = Array.from({ length: r.i32() }, () => r.i32())
        return on("MQINQ", (connection) => {
          const handle = handleOf(connection, hobj)
          const { notForType, values } = connection.queueManager.inquire(handle, selectors.map(attributeOf))
          // Selectors of another queue type answer MQIAV_NOT_APPLICABLE or blanks, with the warning 2068.
          const results = encode((w) => {
            for (const selector of selectors) {
              const value = values[attributeOf(selector)]
              if (selector < Cmqc.CA_FIRST) w.i32(typeof value === "number" ? value : Cmqc.IAV_NOT_APPLICABLE)
              else w.str(typeof value === "string" ? value : "")
            }
          })
          return { cc: notForType ? 1 : 0, rc: notForType ? ReasonCode.SELECTOR_NOT_FOR_TYPE : 0, results }
        })
      }
      case Op.SET: {
        const hobj = r.i32()
        const entries = Array.from({ length: r.i32() }, () => {
          const selector = r.i32()
          return [selector, selector < Cmqc.CA_FIRST ? r.i32() : r.str()] as const
        })
        return on("MQSET", (connection) => {
          const handle = handleOf(connection, hobj)
          const values = Object.fromEntries(entries.map(([selector, value]) => [attributeOf(selector), value]))
          connection.queueManager.set(handle, values)
          return ok()
        })
      }
      case Op.SUBSCRIPTION_REQUEST: {
        const hsub = r.i32()
        const action = r.i32()
        return on("MQSUBRQ", (connection) => connection.queueManager.subscriptionRequest(handleOf(connection, hsub), action))
      }
      default:
        return Effect.succeed({ cc: 2, rc: Cmqc.RC_UNEXPECTED_ERROR })
    }
  }

  const handlers: ControlHandlers = {
    defineQueue: ({ definition, name, queueManager }) =>
      control.defineQueue(queueManager, name, definition).pipe(Effect.as(null)),
    deleteQueue: ({ name, queueManager }) => control.deleteQueue(queueManager, name).pipe(Effect.as(null)),
    defineTopic: ({ name, queueManager, topicString }) =>
      control.defineTopic(queueManager, name, topicString).pipe(Effect.as(null)),
    breakConnections: ({ queueManager }) => control.breakConnections(queueManager).pipe(Effect.as(null)),
    moveConnections: ({ queueManager, target }) => control.moveConnections(queueManager, target).pipe(Effect.as(null)),
    stop: ({ queueManager, ...options }) => control.stop(queueManager, options).pipe(Effect.as(null)),
    start: ({ queueManager }) => control.start(queueManager).pipe(Effect.as(null)),
    restart: ({ queueManager }) => control.restart(queueManager).pipe(Effect.as(null)),
    failNext: ({ queueManager, reason, verb, ...options }) =>
      control.failNext(queueManager, verb, reason, options).pipe(Effect.as(null)),
    delay: ({ millis, queueManager, verb }) =>
      control.delay(queueManager, verb, Duration.millis(millis)).pipe(Effect.as(null)),
    refuseConnections: ({ queueManager, reason }) =>
      control.refuseConnections(queueManager, reason ?? undefined).pipe(Effect.as(null)),
    clearFaults: ({ queueManager }) => control.clearFaults(queueManager).pipe(Effect.as(null)),
    status: () => emulator.queueManagers,
    backOutUnitsOfWork: ({ queueManager }) => emulator.backOutUnitsOfWork(queueManager).pipe(Effect.as(null)),
    connections: ({ queueManager }) => emulator.connections(queueManager),
    addQueueManager: (options) => emulator.addQueueManager(options),
    setGroup: ({ group, queueManager }) => emulator.setGroup(queueManager, group ?? undefined).pipe(Effect.as(null))
  }

  const controlByOp: ReadonlyMap<number, ControlName> = new Map(
    Object.entries(ControlOps).map(([name, spec]) => [spec.op, name as ControlName])
  )

  // Failed control ops answer a str saying why (PROTOCOL.md, "Control ops").
  const controlFailure = (rc: number, problem: string): Response => ({
    cc: 2,
    rc,
    results: encode((w) => w.str(problem))
  })

  const runControl = <K extends ControlName>(name: K, json: string): Effect.Effect<Response> =>
    Effect.suspend(() => {
      const spec: ControlOps[K] = ControlOps[name]
      const decoded = Schema.decodeUnknownExit(Schema.fromJsonString(spec.request))(json)
      if (decoded._tag === "Failure") return Effect.succeed(controlFailure(Cmqc.RC_UNEXPECTED_ERROR, String(decoded.cause)))
      const request: ControlRequest<K> = decoded.value
      const named = [
        ...("queueManager" in request ? [request.queueManager] : []),
        ...("target" in request ? [request.target] : [])
      ]
      const unknown = named.find((name) => model.queueManager(name) === undefined)
      if (unknown !== undefined) {
        return Effect.succeed(
          controlFailure(ReasonCode.Q_MGR_NAME_ERROR, `the emulator has no queue manager named ${unknown}`)
        )
      }
      const handler: (request: ControlRequest<K>) => Effect.Effect<ControlResult<K>> = handlers[name]
      const encode = Schema.encodeSync(Schema.fromJsonString(spec.result))
      return handler(request).pipe(Effect.map((result) => ok((w) => w.str(encode(result)))))
    })

  /** Answers one request. */
  const handle = (
    session: WireSession,
    op: number,
    r: Reader,
    onWait: (pending: PendingGet) => void
  ): Effect.Effect<Response> => {
    const name = controlByOp.get(op)
    return Effect.suspend(() =>
      name === undefined
        ? mqi(session, op, r, onWait).pipe(Effect.catch((failure) => Effect.succeed(refusal(failure))))
        : runControl(name, r.str())
    ).pipe(
      Effect.catchDefect((defect) => {
        const problem = defect instanceof MalformedFrame
          ? defect.problem
          : defect instanceof Error
          ? defect.message
          : String(defect)
        return Effect.logError(`mq-emulator: request op ${op} failed: ${problem}`).pipe(
          Effect.as(name === undefined
            ? { cc: 2, rc: Cmqc.RC_UNEXPECTED_ERROR }
            : controlFailure(Cmqc.RC_UNEXPECTED_ERROR, problem))
        )
      })
    )
  }

  return { handle }
}
