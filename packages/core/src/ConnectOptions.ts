import { Config, Effect, Schema } from "effect"

const host = String.raw`[A-Za-z0-9_.:\[\]-]+`
const connectionNamePattern = new RegExp(String.raw`^${host}(\(\d{1,5}\))?(,${host}(\(\d{1,5}\))?)*$`)

/**
 * A connection name as MQ writes it: `host(port)`, or a comma-separated list tried in order
 * (`host1(1414),host2(1415)`). A missing port means 1414.
 */
export const ConnectionName = Schema.String.check(
  Schema.makeFilter((s) =>
    connectionNamePattern.test(s) ||
    `expected host(port) or a comma-separated list host(port),host(port); got ${JSON.stringify(s)}`
  ),
  // `host:port` is not MQ's form (the ibmmq binding rewrites it, MQ and the emulator do not); an IPv6
  // address has at least two colons, so one colon in an entry can only be a port written the wrong way.
  Schema.makeFilter((s) =>
    s.split(",").every((entry) => entry.split(":").length !== 2) ||
    `expected host(port), not host:port; got ${JSON.stringify(s)}`
  ),
  Schema.makeFilter((s) => s.length <= 264 || `must be at most 264 characters (MQCD ConnectionName), got ${s.length}`),
  Schema.makeFilter((s) =>
    parseConnectionName(s).every((e) => e.port >= 1 && e.port <= 65535) || "ports must be between 1 and 65535"
  )
)

/** One endpoint of a connection name. */
export interface Endpoint {
  readonly host: string
  readonly port: number
}

/** Splits a connection name into its endpoints, in order. */
export const parseConnectionName = (connectionName: string): ReadonlyArray<Endpoint> =>
  connectionName.split(",").map((entry) => {
    const match = /^(.*?)(?:\((\d+)\))?$/.exec(entry.trim())
    return { host: match?.[1] ?? entry, port: match?.[2] === undefined ? 1414 : Number(match[2]) }
  })

/** Formats endpoints as an MQ connection name. */
export const formatConnectionName = (endpoints: ReadonlyArray<Endpoint>): string =>
  endpoints.map((e) => `${e.host}(${e.port})`).join(",")

const atMost = (max: number) =>
  Schema.makeFilter<string>((s) => s.length <= max || `must be at most ${max} characters, got ${s.length}`)

const notBlank = Schema.makeFilter<string>((s) => s.trim().length > 0 || "must not be empty")

/**
 * How to reach a queue manager.
 *
 * - `queueManager`: a name (`QM1`), a group (`*GROUP`: any queue manager of it), or blank (whichever
 *   queue manager the listener belongs to). At most 48 characters.
 * - `channel` and `connectionName` define the client channel; without them the MQ client's own
 *   configuration (`MQSERVER`, a CCDT) decides.
 * - `user` and `password` are sent for authentication; the password is `Redacted` and never logged.
 */
export const ConnectOptions = Schema.Struct({
  queueManager: Schema.optionalKey(Schema.String.check(atMost(48))),
  channel: Schema.optionalKey(Schema.String.check(notBlank, atMost(20))),
  connectionName: Schema.optionalKey(ConnectionName),
  cipherSpec: Schema.optionalKey(Schema.String.check(notBlank)),
  keyRepository: Schema.optionalKey(Schema.String.check(notBlank)),
  certificateLabel: Schema.optionalKey(Schema.String.check(notBlank)),
  user: Schema.optionalKey(Schema.String.check(notBlank, atMost(1024))),
  password: Schema.optionalKey(Schema.Redacted(Schema.String)),
  applicationName: Schema.optionalKey(Schema.String.check(atMost(28)))
}).check(
  Schema.makeFilter((o) =>
    o.password !== undefined && o.user === undefined
      ? { path: ["password"], issue: "a password needs a user" }
      : undefined
  ),
  Schema.makeFilter((o) =>
    o.connectionName !== undefined && o.channel === undefined
      ? { path: ["channel"], issue: "a connection name needs a channel" }
      : undefined
  ),
  Schema.makeFilter((o) =>
    o.cipherSpec === undefined && o.keyRepository !== undefined
      ? { path: ["cipherSpec"], issue: "a key repository is only used with a TLS cipher spec" }
      : undefined
  )
)

export type ConnectOptions = typeof ConnectOptions.Type

/**
 * Validates connect options, failing with a `ConfigError` that names each field in error.
 */
export const validateConnectOptions = (input: unknown): Effect.Effect<ConnectOptions, Config.ConfigError> =>
  Schema.decodeUnknownEffect(ConnectOptions)(input, { errors: "all" }).pipe(
    Effect.mapError((error) => new Config.ConfigError(error))
  )

/**
 * Connect options read from configuration, under an optional prefix: `QUEUEMANAGER`... in the
 * environment become `MQ_queueManager` with the prefix `MQ`. Every option is optional, so nothing
 * under the prefix reads as no options (the MQ client's own configuration decides).
 */
export const connectOptionsConfig = (prefix?: string): Config.Config<ConnectOptions> =>
  Config.schema(ConnectOptions, prefix).pipe(Config.withDefault({}))

/** The application name MQ records in messages (MQCNO.ApplName), defaulted for resilient-mq. */
export const DEFAULT_APPLICATION_NAME = "resilient-mq"
