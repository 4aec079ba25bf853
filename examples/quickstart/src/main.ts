import { Mqi } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import { Effect, Option } from "effect"

// Connect to QM1, put a message on DEV.QUEUE.1 and get it back. Swap `Emulator.layer()` for the
// production `Mqi` layer and the same program talks to a real queue manager.
export const program = Effect.gen(function*() {
  const mqi = yield* Mqi
  const hconn = yield* mqi.connect({ queueManager: "QM1" })
  const queue = yield* mqi.open(hconn, { type: "queue", name: "DEV.QUEUE.1" }, { output: true, input: "shared" })
  const sent = yield* mqi.put(queue, { body: "hello from resilient-mq" })
  const received = yield* mqi.get(queue, { wait: "5 seconds" })
  return Option.map(received, (message) => ({
    text: new TextDecoder().decode(message.body),
    sameMessage: Buffer.from(message.descriptor.msgId).equals(sent.msgId)
  }))
}).pipe(Effect.scoped, Effect.provide(Emulator.layer()))

if (import.meta.main) {
  const result = await Effect.runPromise(program)
  console.log(Option.match(result, {
    onNone: () => "no message",
    onSome: ({ text, sameMessage }) => `got "${text}" back${sameMessage ? ", same MsgId" : ""}`
  }))
}
