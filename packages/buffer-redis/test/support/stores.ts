import { NodeRedis } from "@effect/platform-node"
import * as Retry from "@resilient-mq/retry"
import { randomUUID } from "node:crypto"
import { type Config, Layer, References } from "effect"
import { layerRedis, type RedisStoreOptions } from "../../src/index.ts"

/**
 * A location of the conformance suite: a server's port and a key prefix of its own, as one string,
 * since the crash child gets the location as its one argument.
 */
export const locationOn = (port: number): string => `${port}/rmq-test-${randomUUID()}`

/** A quick retry policy, so that cases about an absent Redis end soon. */
export const quickRetry = Retry.layer({ transient: { maxAttempts: 3, initialDelay: "20 millis", maxDelay: "50 millis" } })

/**
 * The store over a location, with its own client. `disableOfflineQueue`: while the connection is
 * down a call fails at once instead of waiting in the client for the reconnection.
 */
export const storeAt = (
  location: string,
  options: RedisStoreOptions = {},
  retry: Layer.Layer<Retry.RetryPolicy, Config.ConfigError> = Retry.layerDefault
) => {
  const slash = location.indexOf("/")
  const port = Number(location.slice(0, slash))
  return layerRedis({ prefix: location.slice(slash + 1), ...options }).pipe(
    Layer.provide(
      NodeRedis.layer({ socket: { host: "127.0.0.1", port }, disableOfflineQueue: true }).pipe(
        // The client logs a warning at every reconnection attempt: many here, where servers are killed on purpose.
        Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error"))
      )
    ),
    Layer.provide(retry)
  )
}
