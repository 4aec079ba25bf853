// The fields a failed decoding names, as dotted paths (`MQ.channel`), for tests that check that an
// error says which field is wrong.
import { type Config, Schema, SchemaIssue } from "effect"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

export const issuePaths = (error: Schema.SchemaError | Config.ConfigError): ReadonlyArray<string> => {
  const schemaError = Schema.isSchemaError(error) ? error : error.cause
  if (!Schema.isSchemaError(schemaError)) return []
  return formatter(schemaError.issue).issues.map((issue) =>
    (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment)).join(".")
  )
}
