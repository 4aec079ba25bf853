import { Verbs } from "@resilient-mq/core"
import { Schema } from "effect"
import { QueueDefinitionSchema, QueueManagerOptionsSchema } from "../Schemas.ts"
import { Op } from "./Frames.ts"

// The control ops of PROTOCOL.md: what each takes and answers, as JSON. The server decodes requests
// and encodes results with these, the control client the other way round.

const QueueManager = { queueManager: Schema.String }
const OnQueueManager = Schema.Struct(QueueManager)

export const QueueManagerInfoSchema = Schema.Struct({
  name: Schema.String,
  qmid: Schema.String,
  group: Schema.optionalKey(Schema.String),
  state: Schema.Literals(["running", "quiescing", "stopped"]),
  listeners: Schema.Array(Schema.String),
  reconnectRequested: Schema.Boolean
})

export const ConnectionInfoSchema = Schema.Struct({
  hconn: Schema.Number,
  user: Schema.String,
  applicationName: Schema.String,
  channel: Schema.String,
  openHandles: Schema.Number,
  uncommittedMessages: Schema.Number
})

const control = <Request extends Schema.Top, Result extends Schema.Top>(
  op: number,
  request: Request,
  result: Result
) => ({ op, request, result })

export const ControlOps = {
  defineQueue: control(
    Op.DEFINE_QUEUE,
    Schema.Struct({ ...QueueManager, name: Schema.String, definition: Schema.optionalKey(QueueDefinitionSchema) }),
    Schema.Null
  ),
  deleteQueue: control(Op.DELETE_QUEUE, Schema.Struct({ ...QueueManager, name: Schema.String }), Schema.Null),
  defineTopic: control(
    Op.DEFINE_TOPIC,
    Schema.Struct({ ...QueueManager, name: Schema.String, topicString: Schema.String }),
    Schema.Null
  ),
  breakConnections: control(Op.BREAK_CONNECTIONS, OnQueueManager, Schema.Null),
  moveConnections: control(Op.MOVE_CONNECTIONS, Schema.Struct({ ...QueueManager, target: Schema.String }), Schema.Null),
  stop: control(
    Op.STOP,
    Schema.Struct({
      ...QueueManager,
      mode: Schema.Literals(["quiesce", "immediate", "preemptive"]),
      reconnect: Schema.optionalKey(Schema.Boolean)
    }),
    Schema.Null
  ),
  start: control(Op.START, OnQueueManager, Schema.Null),
  restart: control(Op.RESTART, OnQueueManager, Schema.Null),
  failNext: control(
    Op.FAIL_NEXT,
    Schema.Struct({
      ...QueueManager,
      verb: Schema.Literals(Verbs),
      reason: Schema.Int,
      count: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
      after: Schema.optionalKey(Schema.Boolean)
    }),
    Schema.Null
  ),
  delay: control(
    Op.DELAY,
    Schema.Struct({
      ...QueueManager,
      verb: Schema.Literals([...Verbs, "*"]),
      millis: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))
    }),
    Schema.Null
  ),
  refuseConnections: control(
    Op.REFUSE_CONNECTIONS,
    Schema.Struct({ ...QueueManager, reason: Schema.NullOr(Schema.Int) }),
    Schema.Null
  ),
  clearFaults: control(Op.CLEAR_FAULTS, OnQueueManager, Schema.Null),
  status: control(Op.STATUS, Schema.Struct({}), Schema.Array(QueueManagerInfoSchema)),
  backOutUnitsOfWork: control(Op.BACK_OUT_UNITS_OF_WORK, OnQueueManager, Schema.Null),
  connections: control(Op.CONNECTIONS, OnQueueManager, Schema.Array(ConnectionInfoSchema)),
  addQueueManager: control(Op.ADD_QUEUE_MANAGER, QueueManagerOptionsSchema, QueueManagerInfoSchema),
  setGroup: control(
    Op.SET_GROUP,
    Schema.Struct({ ...QueueManager, group: Schema.NullOr(Schema.String) }),
    Schema.Null
  )
}

export type ControlOps = typeof ControlOps
export type ControlName = keyof ControlOps
export type ControlRequest<K extends ControlName> = ControlOps[K]["request"]["Type"]
export type ControlResult<K extends ControlName> = ControlOps[K]["result"]["Type"]
