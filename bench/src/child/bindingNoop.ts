// Child process: the ibmmq binding's synchronous puts against the stand-in library that does
// nothing (native/build/noop), the ceiling of any put through the binding. Prints the rate as JSON.
import mq from "ibmmq"

const puts = Number(process.argv[2] ?? "50000")
const cno = new mq.MQCNO()
const qmgr = await new Promise<mq.MQQueueManager>((resolve, reject) =>
  mq.Connx("QM1", cno, (error, hconn) => (error ? reject(error) : resolve(hconn)))
)
const od = new mq.MQOD()
od.ObjectName = "BENCH.PUT"
const queue = await new Promise<mq.MQObject>((resolve, reject) =>
  mq.Open(qmgr, od, mq.MQC.MQOO_OUTPUT, (error, hobj) => (error ? reject(error) : resolve(hobj)))
)
const body = Buffer.alloc(256, 0x61)
const put = () => mq.PutSync(queue, new mq.MQMD(), new mq.MQPMO(), body)
for (let i = 0; i < 1000; i++) put()
const start = performance.now()
for (let i = 0; i < puts; i++) put()
console.log(JSON.stringify({ rate: (puts * 1000) / (performance.now() - start) }))
