import { Schema } from "effect"

/** Where the MQ client library is looked for, and what points at it, on this platform. */
const libraryHelp = (): string => {
  switch (process.platform) {
    case "win32":
      return "install the IBM MQ redistributable client (or an IBM MQ client) and put its bin64 folder on PATH"
    case "darwin":
      return "install the IBM MQ MacOS toolkit and set DYLD_LIBRARY_PATH to its lib64 folder before the process starts"
    default:
      return "install the IBM MQ redistributable client (or an IBM MQ client) and set LD_LIBRARY_PATH to its " +
        "lib64 folder before the process starts (the binding also looks in node_modules/ibmmq/redist/lib64 and " +
        "/opt/mqm/lib64)"
  }
}

const detail = (cause: unknown): string => {
  const message = typeof cause === "object" && cause !== null && "message" in cause ? cause.message : cause
  return String(message)
}

/**
 * The `ibmmq` binding could not be loaded when the layer was built: the package is not installed
 * (`binding`), or it is but the IBM MQ client library it loads (`libmqm_r.so`, `mqm.dll`) cannot be
 * found (`client-library`). The original error is the `cause`.
 */
export class IbmMqUnavailable extends Schema.TaggedError<IbmMqUnavailable>()("IbmMqUnavailable", {
  missing: Schema.Literals(["binding", "client-library"]),
  cause: Schema.Defect()
}) {
  override get message(): string {
    return this.missing === "binding"
      ? `the ibmmq package could not be loaded (${detail(this.cause)}): install it next to @resilient-mq/ibmmq ` +
        `(npm install ibmmq)`
      : `the IBM MQ client library could not be loaded (last tried: ${detail(this.cause)}): ${libraryHelp()}`
  }
}
