import type { ReconnectMode } from "@resilient-mq/core"
import { DurationInput } from "@resilient-mq/retry"
import { Config, Duration, Effect, Option, Schema } from "effect"
import type { ReplyAffinityOptions, StrayReply } from "../ReplyAffinity.ts"

const millis = (d: Duration.Input): number => Duration.toMillis(Duration.fromInputUnsafe(d))

const Positive = DurationInput.check(Schema.makeFilter((d) => millis(d) > 0 || "must be longer than zero"))
const NotNegative = DurationInput.check(Schema.makeFilter((d) => millis(d) >= 0 || "must not be negative"))

// MQ object names: 1 to 48 characters.
const QueueName = Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(48))

// MQ-BEHAVIOUR §2.5: a `*` may only end the name, in one of its first 33 positions.
const DynamicQueueName = QueueName.check(
  Schema.makeFilter((name) => {
    const star = name.indexOf("*")
    return star < 0 || (star === name.length - 1 && star <= 32) || "a * may only end the name, within its first 33 characters"
  })
)

const StrayHandler = Schema.declare(
  (u): u is (stray: StrayReply) => Effect.Effect<void> => typeof u === "function",
  { expected: "a function of a stray reply to an Effect" }
)

const OptionsSchema = Schema.Struct({
  replyQueue: Schema.optionalKey(QueueName),
  replyModel: Schema.optionalKey(QueueName),
  dynamicQueueName: Schema.optionalKey(DynamicQueueName),
  policy: Schema.optionalKey(Schema.Literals(["fail", "resend", "pin"])),
  correlation: Schema.optionalKey(Schema.Literals(["message-id", "correlation-id"])),
  timeout: Schema.optionalKey(Positive),
  checkInterval: Schema.optionalKey(Schema.Union([Schema.Literal(false), NotNegative])),
  strict: Schema.optionalKey(Schema.Boolean),
  strayQueue: Schema.optionalKey(QueueName),
  onStray: Schema.optionalKey(StrayHandler)
})

const checks = (reconnect: ReconnectMode) =>
  OptionsSchema.check(
    Schema.makeFilter((o) =>
      o.replyQueue !== undefined && o.replyModel !== undefined
        ? { path: ["replyModel"], issue: "give a reply queue or a model for a temporary one, not both" }
        : undefined
    ),
    Schema.makeFilter((o) =>
      o.dynamicQueueName !== undefined && o.replyQueue !== undefined
        ? { path: ["dynamicQueueName"], issue: "only a reply queue made from a model (replyModel) has a dynamic name" }
        : undefined
    ),
    Schema.makeFilter((o) =>
      o.strayQueue !== undefined && o.onStray !== undefined
        ? { path: ["onStray"], issue: "stray replies go to a queue or to a handler, not both" }
        : undefined
    ),
    // `pin` keeps replies where they go by never letting the connection move: only `same` does that.
    Schema.makeFilter((o) =>
      o.policy === "pin" && reconnect !== "same"
        ? {
          path: ["policy"],
          issue: `"pin" needs a connection whose reconnect mode is "same", and this one's is "${reconnect}"`
        }
        : undefined
    )
  )

/**
 * Checks the options once, against the connection's reconnect mode, failing with a `ConfigError` that
 * names every option in error.
 */
export const validateOptions = (
  options: ReplyAffinityOptions,
  reconnect: ReconnectMode
): Effect.Effect<ReplyAffinityOptions, Config.ConfigError> =>
  Schema.decodeUnknownEffect(checks(reconnect))(options, { errors: "all" }).pipe(
    Effect.as(options),
    Effect.mapError((error) => new Config.ConfigError(error))
  )

// A key of the options only when the configuration has it.
const present = <K extends string, A>(key: K, value: Option.Option<A>): { readonly [P in K]?: A } =>
  Option.isSome(value) ? ({ [key]: value.value } as { readonly [P in K]: A }) : {}

/** The options as `layerConfig` reads them: every key may be absent. */
export const optionsConfig = (path: string | undefined): Config.Config<ReplyAffinityOptions> => {
  const config = Config.all({
    replyQueue: Config.option(Config.String("replyQueue")),
    replyModel: Config.option(Config.String("replyModel")),
    dynamicQueueName: Config.option(Config.String("dynamicQueueName")),
    policy: Config.option(Config.Literals(["fail", "resend", "pin"], "policy")),
    correlation: Config.option(Config.Literals(["message-id", "correlation-id"], "correlation")),
    timeout: Config.option(Config.Duration("timeout")),
    checkInterval: Config.option(Config.Duration("checkInterval")),
    strict: Config.option(Config.Boolean("strict")),
    strayQueue: Config.option(Config.String("strayQueue"))
  })
  return (path === undefined ? config : Config.nested(config, path)).pipe(
    Config.map((v): ReplyAffinityOptions => ({
      ...present("replyQueue", v.replyQueue),
      ...present("replyModel", v.replyModel),
      ...present("dynamicQueueName", v.dynamicQueueName),
      ...present("policy", v.policy),
      ...present("correlation", v.correlation),
      ...present("timeout", v.timeout),
      ...present("checkInterval", v.checkInterval),
      ...present("strict", v.strict),
      ...present("strayQueue", v.strayQueue)
    }))
  )
}
