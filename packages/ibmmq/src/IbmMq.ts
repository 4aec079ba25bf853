import { Mqi } from "@resilient-mq/core"
import { Effect, Layer } from "effect"
import type { IbmMqUnavailable } from "./IbmMqUnavailable.ts"
import { type Binding, loadBinding } from "./internal/binding.ts"
import { makeMqi } from "./internal/IbmMqi.ts"

// Consumers rely on the binding's default tuning (see internal/Consumers.ts): consumption started by
// Ctl (`useCtl`), each delivery suspending the connection until JavaScript has it (`SYNCED`), and
// the binding resuming it (`autoCtl`). Other values are a setting of the whole process, not ours to
// change; the layer refuses to run with them.
const checkTuning = (mq: Binding): Effect.Effect<Binding> => {
  const tuning = mq.getTuningParameters()
  const wrong = [
    tuning.useCtl === false ? "useCtl is false (is MQIJS_NOUSECTL set?)" : undefined,
    tuning.autoCtl === false ? "autoCtl is false" : undefined,
    String(tuning.callbackStrategy).toUpperCase() === "SYNCED"
      ? undefined
      : `callbackStrategy is ${String(tuning.callbackStrategy)}`
  ].filter((reason) => reason !== undefined)
  return wrong.length === 0
    ? Effect.succeed(mq)
    : Effect.die(new Error(`@resilient-mq/ibmmq needs the ibmmq binding's default tuning, but ${wrong.join(", ")}`))
}

/**
 * The `Mqi` port over IBM's `ibmmq` binding. The binding, and with it the IBM MQ client library, is
 * loaded when the layer is built: a missing library fails the build with `IbmMqUnavailable`.
 */
export const layer: Layer.Layer<Mqi, IbmMqUnavailable> = Layer.effect(
  Mqi,
  loadBinding.pipe(Effect.flatMap(checkTuning), Effect.map(makeMqi))
)
