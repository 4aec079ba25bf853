import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Redacted } from "effect"
import { inspect } from "node:util"
import {
  connectOptionsConfig,
  type Endpoint,
  formatConnectionName,
  parseConnectionName,
  validateConnectOptions
} from "../src/ConnectOptions.ts"
import { headerNumber } from "./cmqcHeader.ts"
import { issuePaths } from "./schemaIssues.ts"

const secret = "s3cret-pa55word"
const channel = "DEV.APP.SVRCONN"
/** Options with a channel and the given connection name. */
const conn = (connectionName: string) => ({ channel, connectionName })

describe("validateConnectOptions", () => {
  it.effect.each([
    { why: "a connection name written host:port", field: "connectionName", input: conn("host:1414") },
    { why: "a connection name with an unclosed port", field: "connectionName", input: conn("h(1414") },
    { why: "a port above 65535", field: "connectionName", input: conn("h(99999)") },
    { why: "port 0", field: "connectionName", input: conn("h(0)") },
    { why: "a bad entry in a list", field: "connectionName", input: conn("h1(1414),h2:1415") },
    { why: "an empty entry in a list", field: "connectionName", input: conn("h1(1414),,h2") },
    { why: "a connection name over 264 characters", field: "connectionName", input: conn("h".repeat(265)) },
    { why: "an empty channel", field: "channel", input: { channel: "" } },
    { why: "a blank channel", field: "channel", input: { channel: "   " } },
    { why: "a channel over 20 characters", field: "channel", input: { channel: "C".repeat(21) } },
    { why: "a connection name without a channel", field: "channel", input: { connectionName: "h(1414)" } },
    { why: "a password without a user", field: "password", input: { password: Redacted.make(secret) } },
    { why: "a queue manager name over 48 characters", field: "queueManager", input: { queueManager: "Q".repeat(49) } },
    {
      why: "an application name over 28 characters",
      field: "applicationName",
      input: { applicationName: "A".repeat(29) }
    },
    { why: "a key repository without a cipher spec", field: "cipherSpec", input: { keyRepository: "/var/mqm/key" } },
    { why: "an empty user", field: "user", input: { user: "" } }
  ])("refuses $why with a ConfigError naming $field", ({ field, input }) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(validateConnectOptions(input))
      assert.instanceOf(error, Config.ConfigError)
      assert.deepStrictEqual(issuePaths(error), [field])
      assert.include(error.message, `["${field}"]`)
    }))

  it.effect("says what is wrong, in words", () =>
    Effect.gen(function*() {
      const message = (input: unknown) => Effect.map(Effect.flip(validateConnectOptions(input)), (e) => e.message)
      assert.include(yield* message({ channel, connectionName: "host:1414" }), "host(port), not host:port")
      assert.include(yield* message({ channel, connectionName: "h(99999)" }), "between 1 and 65535")
      assert.include(yield* message({ channel: "C".repeat(21) }), "at most 20 characters")
      assert.include(yield* message({ password: Redacted.make(secret) }), "a password needs a user")
    }))

  it.effect("reports every field in error at once", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(validateConnectOptions({
        queueManager: "Q".repeat(49),
        channel: "",
        connectionName: "host:1414",
        applicationName: "A".repeat(29)
      }))
      assert.sameMembers([...issuePaths(error)], ["queueManager", "channel", "connectionName", "applicationName"])
    }))

  it.effect.each([
    { why: "nothing (the MQ client's own configuration decides)", input: {} },
    { why: "a queue manager name", input: { queueManager: "QM1" } },
    { why: "a queue manager group", input: { queueManager: "*GROUP" } },
    { why: "a blank queue manager name", input: { queueManager: "" } },
    { why: "a 48-character queue manager name", input: { queueManager: "Q".repeat(48) } },
    { why: "a 20-character channel", input: { channel: "C".repeat(20) } },
    { why: "a connection list", input: { channel, connectionName: "h1(1414),h2(1415)" } },
    { why: "a host without a port", input: { channel, connectionName: "mq.example.com" } },
    { why: "an IPv6 address with a port", input: { channel, connectionName: "fe80::1(1414)" } },
    { why: "a bracketed IPv6 address", input: { channel, connectionName: "[::1](1414)" } },
    { why: "port 65535", input: { channel, connectionName: "h(65535)" } }
  ])("accepts $why", ({ input }) =>
    Effect.gen(function*() {
      const options = yield* validateConnectOptions(input)
      assert.deepStrictEqual(options, input)
    }))

  it.effect("accepts every option together and returns them as given", () =>
    Effect.gen(function*() {
      const options = yield* validateConnectOptions({
        queueManager: "QM1",
        channel,
        connectionName: "h1(1414),h2(1415)",
        cipherSpec: "ANY_TLS13",
        keyRepository: "/var/mqm/key",
        certificateLabel: "app",
        user: "app",
        password: Redacted.make(secret),
        applicationName: "orders"
      })
      assert.strictEqual(options.queueManager, "QM1")
      assert.strictEqual(options.connectionName, "h1(1414),h2(1415)")
      assert.strictEqual(options.cipherSpec, "ANY_TLS13")
      assert.strictEqual(options.applicationName, "orders")
      assert.isDefined(options.password)
      if (options.password !== undefined) assert.strictEqual(Redacted.value(options.password), secret)
    }))

  it.effect.each([
    { field: "queueManager", length: "MQ_Q_MGR_NAME_LENGTH", make: (n: number) => ({ queueManager: "Q".repeat(n) }) },
    { field: "channel", length: "MQ_CHANNEL_NAME_LENGTH", make: (n: number) => ({ channel: "C".repeat(n) }) },
    { field: "connectionName", length: "MQ_CONN_NAME_LENGTH", make: (n: number) => conn("h".repeat(n)) },
    { field: "applicationName", length: "MQ_APPL_NAME_LENGTH", make: (n: number) => ({ applicationName: "A".repeat(n) }) }
  ])("accepts a $field of exactly $length characters and refuses one more", ({ field, length, make }) =>
    Effect.gen(function*() {
      const max = headerNumber(length)
      yield* validateConnectOptions(make(max))
      const error = yield* Effect.flip(validateConnectOptions(make(max + 1)))
      assert.deepStrictEqual(issuePaths(error), [field])
    }))
})

describe("the password", () => {
  it.effect("stays Redacted: its value is in no String, JSON or inspection of the options", () =>
    Effect.gen(function*() {
      const options = yield* validateConnectOptions({ user: "app", password: Redacted.make(secret) })
      assert.isDefined(options.password)
      if (options.password === undefined) return
      assert.isTrue(Redacted.isRedacted(options.password))
      assert.strictEqual(Redacted.value(options.password), secret)
      assert.notInclude(String(options.password), secret)
      assert.notInclude(`${options.password}`, secret)
      assert.notInclude(JSON.stringify(options), secret)
      assert.notInclude(inspect(options, { depth: 10 }), secret)
    }))

  it.effect.each([
    { why: "a password without a user", input: { password: Redacted.make(secret) } },
    { why: "a bad field beside the password", input: { user: "app", password: Redacted.make(secret), channel: "" } },
    { why: "a password not wrapped in Redacted", input: { user: "app", password: secret } },
    { why: "options that are not an object", input: secret }
  ])("appears in no error for $why", ({ input }) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(validateConnectOptions(input))
      assert.notInclude(error.message, secret)
      assert.notInclude(String(error), secret)
      assert.notInclude(JSON.stringify(error), secret)
      assert.notInclude(inspect(error, { depth: 10 }), secret)
    }))

  it.effect("appears in no error read from configuration", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        connectOptionsConfig("MQ").parse(ConfigProvider.fromUnknown({ MQ: { password: secret, channel: "" } }))
      )
      assert.notInclude(error.message, secret)
      assert.notInclude(inspect(error, { depth: 10 }), secret)
    }))
})

describe("connection names", () => {
  it("parses host(port) lists into endpoints, in order", () => {
    assert.deepStrictEqual(parseConnectionName("h1(1414),h2(1415)"), [
      { host: "h1", port: 1414 },
      { host: "h2", port: 1415 }
    ])
  })

  it("gives a host without a port MQ's default port 1414", () => {
    assert.deepStrictEqual(parseConnectionName("mq.example.com"), [{ host: "mq.example.com", port: 1414 }])
    assert.deepStrictEqual(parseConnectionName("h1,h2(1415)"), [{ host: "h1", port: 1414 }, { host: "h2", port: 1415 }])
  })

  it("keeps the colons of an IPv6 address in the host", () => {
    assert.deepStrictEqual(parseConnectionName("fe80::1(1415)"), [{ host: "fe80::1", port: 1415 }])
  })

  it("formats endpoints as host(port), always with the port", () => {
    const endpoints = [{ host: "h1", port: 1414 }, { host: "h2", port: 1415 }]
    assert.strictEqual(formatConnectionName(endpoints), "h1(1414),h2(1415)")
  })

  it("round trips: format(parse(name)) is the name with every port written out", () => {
    assert.strictEqual(formatConnectionName(parseConnectionName("h1(1414),h2(1415)")), "h1(1414),h2(1415)")
    assert.strictEqual(formatConnectionName(parseConnectionName("h1,h2(1415)")), "h1(1414),h2(1415)")
    const endpoints: ReadonlyArray<Endpoint> = [{ host: "a.example.com", port: 1414 }, { host: "10.0.0.2", port: 2414 }]
    assert.deepStrictEqual(parseConnectionName(formatConnectionName(endpoints)), endpoints)
  })
})

describe("connectOptionsConfig", () => {
  const expected = { queueManager: "QM1", channel, connectionName: "h1(1414),h2(1415)", user: "app" }

  const assertRead = (options: Effect.Success<ReturnType<typeof connectOptionsConfig>>) => {
    assert.strictEqual(options.queueManager, expected.queueManager)
    assert.strictEqual(options.channel, expected.channel)
    assert.strictEqual(options.connectionName, expected.connectionName)
    assert.strictEqual(options.user, expected.user)
    assert.isTrue(options.password !== undefined && Redacted.isRedacted(options.password))
    if (options.password !== undefined) assert.strictEqual(Redacted.value(options.password), secret)
  }

  it.effect("reads the options under a prefix from a ConfigProvider, the password as Redacted", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromUnknown({ MQ: { ...expected, password: secret } })
      assertRead(yield* connectOptionsConfig("MQ").parse(provider))
    }))

  it.effect("reads the options from environment variables named <prefix>_<field>", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromEnv({
        env: {
          MQ_queueManager: "QM1",
          MQ_channel: channel,
          MQ_connectionName: "h1(1414),h2(1415)",
          MQ_user: "app",
          MQ_password: secret,
          OTHER_channel: "IGNORED"
        }
      })
      assertRead(yield* connectOptionsConfig("MQ").parse(provider))
    }))

  it.effect("reads MQ_QUEUE_MANAGER-style variables through ConfigProvider.constantCase", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromEnv({
        env: {
          MQ_QUEUE_MANAGER: "QM1",
          MQ_CHANNEL: channel,
          MQ_CONNECTION_NAME: "h1(1414),h2(1415)",
          MQ_USER: "app",
          MQ_PASSWORD: secret
        }
      }).pipe(ConfigProvider.constantCase)
      assertRead(yield* connectOptionsConfig("MQ").parse(provider))
    }))

  it.effect("reads the options at the top level without a prefix", () =>
    Effect.gen(function*() {
      const options = yield* connectOptionsConfig().parse(ConfigProvider.fromUnknown({ queueManager: "*GROUP" }))
      assert.deepStrictEqual(options, { queueManager: "*GROUP" })
    }))

  it.effect("reads no options when nothing is set under the prefix: the MQ client's own configuration decides", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* connectOptionsConfig("MQ").parse(ConfigProvider.fromUnknown({})), {})
      const env = ConfigProvider.fromEnv({ env: { MQSERVER: "DEV.APP.SVRCONN/TCP/h(1414)" } })
      assert.deepStrictEqual(yield* connectOptionsConfig("MQ").parse(env), {})
    }))

  it.effect("reports an invalid value as a ConfigError naming the prefixed field", () =>
    Effect.gen(function*() {
      const env = ConfigProvider.fromEnv({ env: { MQ_channel: channel, MQ_connectionName: "host:1414" } })
      const error = yield* Effect.flip(connectOptionsConfig("MQ").parse(env))
      assert.instanceOf(error, Config.ConfigError)
      assert.deepStrictEqual(issuePaths(error), ["MQ.connectionName"])
      assert.include(error.message, "host(port), not host:port")
    }))

  it.effect("reports a password without a user as a ConfigError naming the password", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        connectOptionsConfig("MQ").parse(ConfigProvider.fromUnknown({ MQ: { queueManager: "QM1", password: secret } }))
      )
      assert.instanceOf(error, Config.ConfigError)
      assert.deepStrictEqual(issuePaths(error), ["MQ.password"])
    }))
})
