"use strict"
// Runs one scenario through the real ibmmq binding, which loads the stand-in libmqm_r.so found
// through LD_LIBRARY_PATH, and reports what happens as JSON lines on stdout (native.test.ts).
// The binding reads LD_LIBRARY_PATH only when the process starts, hence a process of its own.

const report = (event) => process.stdout.write(`${JSON.stringify(event)}\n`)

let mq
try {
  mq = require("ibmmq")
} catch (error) {
  report({ loaded: false, error: String(error) })
  process.exit(0)
}
const MQC = mq.MQC

/** Calls a callback-style binding function as a promise. */
const call = (fn) => new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
const reasonOf = (error) => (error && error.mqrc !== undefined ? error.mqrc : String(error))

const connect = () => call((cb) => mq.Connx("QM1", new mq.MQCNO(), cb))

const openQueue = (hConn, name) => {
  const od = new mq.MQOD()
  od.ObjectName = name
  od.ObjectType = MQC.MQOT_Q
  return call((cb) => mq.Open(hConn, od, MQC.MQOO_OUTPUT | MQC.MQOO_INPUT_SHARED | MQC.MQOO_INQUIRE, cb))
}

const put = (hObj, text, pmo = new mq.MQPMO()) =>
  call((cb) => mq.Put(hObj, new mq.MQMD(), pmo, Buffer.from(text), (err) => cb(err)))

const getWaiting = (hObj, millis, buffer) => {
  const gmo = new mq.MQGMO()
  gmo.Options = MQC.MQGMO_NO_SYNCPOINT | MQC.MQGMO_WAIT
  gmo.WaitInterval = millis
  const length = mq.GetSync(hObj, new mq.MQMD(), gmo, buffer)
  return { text: buffer.subarray(0, length).toString(), gmo }
}

/** A consumer on `hObj`: returns a queue of what its callback receives. */
const consume = (hObj) => {
  const received = []
  let wake = () => {}
  const gmo = new mq.MQGMO()
  gmo.Options = MQC.MQGMO_NO_SYNCPOINT | MQC.MQGMO_WAIT
  gmo.WaitInterval = MQC.MQWI_UNLIMITED
  mq.Get(hObj, new mq.MQMD(), gmo, (err, _obj, _gmo, _md, data) => {
    received.push(err ? { error: reasonOf(err) } : { text: data.toString() })
    wake()
  })
  return {
    next: async () => {
      while (received.length === 0) await new Promise((resolve) => (wake = resolve))
      return received.shift()
    }
  }
}

const scenarios = {
  load: async () => report({ loaded: true }),

  connect: async () => {
    try {
      const hConn = await connect()
      report({ connected: true })
      await call((cb) => mq.Disc(hConn, cb))
    } catch (error) {
      report({ connected: false, reason: reasonOf(error) })
    }
  },

  // Put with a property, then a get too small for it (2080), then the get that takes it.
  roundTrip: async () => {
    const hConn = await connect()
    const hObj = await openQueue(hConn, "DEV.QUEUE.1")
    const props = mq.CrtMh(hConn, new mq.MQCMHO())
    mq.SetMp(hConn, props, new mq.MQSMPO(), "usr.colour", new mq.MQPD(), "blue")
    const pmo = new mq.MQPMO()
    pmo.OriginalMsgHandle = props
    await put(hObj, "hello through the binding", pmo)
    let tooSmall
    try {
      getWaiting(hObj, 5000, Buffer.alloc(5))
    } catch (error) {
      tooSmall = reasonOf(error)
    }
    const gmo = new mq.MQGMO()
    gmo.Options = MQC.MQGMO_NO_SYNCPOINT | MQC.MQGMO_WAIT
    gmo.WaitInterval = 5000
    gmo.MsgHandle = mq.CrtMh(hConn, new mq.MQCMHO())
    const buffer = Buffer.alloc(1024)
    const length = mq.GetSync(hObj, new mq.MQMD(), gmo, buffer)
    let colour
    mq.InqMp(hConn, gmo.MsgHandle, new mq.MQIMPO(), new mq.MQPD(), "colour", Buffer.alloc(64), (err, _name, value) => {
      colour = err ? reasonOf(err) : value
    })
    let empty
    try {
      getWaiting(hObj, 0, buffer)
    } catch (error) {
      empty = reasonOf(error)
    }
    report({
      text: buffer.subarray(0, length).toString(),
      returnedLength: gmo.ReturnedLength,
      resolvedQName: gmo.ResolvedQName,
      colour,
      tooSmall,
      empty
    })
    await call((cb) => mq.Close(hObj, 0, cb))
    await call((cb) => mq.Disc(hConn, cb))
  },

  // A consumer started with Ctl(START) receives what is put after it.
  consumer: async () => {
    const hConn = await connect()
    const hObj = await openQueue(hConn, "DEV.QUEUE.2")
    const consumer = consume(hObj)
    mq.Ctl(hConn, MQC.MQOP_START)
    for (const text of ["one", "two", "three"]) await put(hObj, text)
    const received = []
    for (let i = 0; i < 3; i++) received.push(await consumer.next())
    report({ received })
    mq.GetDone(hObj)
    await call((cb) => mq.Close(hObj, 0, cb))
    await call((cb) => mq.Disc(hConn, cb))
  },

  // Says "ready" once its consumer works; the test then kills the server.
  serverKilled: async () => {
    const hConn = await connect()
    const hObj = await openQueue(hConn, "DEV.QUEUE.3")
    const consumer = consume(hObj)
    mq.Ctl(hConn, MQC.MQOP_START)
    await put(hObj, "before")
    const first = await consumer.next()
    report({ ready: true, first })
    const event = await consumer.next()
    let putAfter
    try {
      mq.PutSync(hObj, new mq.MQMD(), new mq.MQPMO(), Buffer.from("after"))
      putAfter = 0
    } catch (error) {
      putAfter = reasonOf(error)
    }
    report({ consumer: event, putAfter })
  }
}

scenarios[process.argv[2]]()
  .catch((error) => report({ failed: reasonOf(error), message: String(error) }))
  // The binding keeps the event loop alive once a consumer was registered.
  .finally(() => process.exit(0))
