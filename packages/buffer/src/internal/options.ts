import { DurationInput } from "@resilient-mq/retry"
import { Config, Duration, Effect, Option, Schema } from "effect"

/** A `Duration.Input` that is not negative. */
export const NotNegativeDuration = DurationInput.check(Schema.makeFilter((d) => Duration.toMillis(Duration.fromInputUnsafe(d)) >= 0 || "must not be negative"))

/** A count or size limit: a whole number of at least 1, or `Infinity` for none. */
export const Limit = Schema.Number.check(
  Schema.makeFilter((n) =>
    n === Number.POSITIVE_INFINITY || (Number.isInteger(n) && n >= 1) || "must be a whole number of at least 1, or Infinity"
  )
)

/** A config that may be absent: `undefined` then. */
export const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.option(config).pipe(Config.map(Option.getOrUndefined))

/** The entries of an object whose value is not `undefined` (options leave absent keys out). */
export const defined = <A extends object>(options: { readonly [K in keyof A]: A[K] | undefined }): A =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as A

/** A config under `path`, or at the top without one. */
export const under = <A>(config: Config.Config<A>, path: string | undefined): Config.Config<A> =>
  path === undefined ? config : Config.nested(config, path)

/** Checks options once, failing with a `ConfigError` that names every option in error. */
export const validate = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) =>
<A extends S["Type"]>(options: A): Effect.Effect<A, Config.ConfigError> =>
  Schema.decodeUnknownEffect(schema)(options, { errors: "all" }).pipe(
    Effect.as(options),
    Effect.mapError((error) => new Config.ConfigError(error))
  )
