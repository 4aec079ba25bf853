// Reads the `#define`s of the cmqc.h that the ibmmq binding ships, the same header (found the same way)
// that scripts/generate-reason-codes.ts reads, so that tests can compare our constants with MQ's.
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

const headerPath = join(dirname(createRequire(import.meta.url).resolve("ibmmq/package.json")), "src", "unix", "cmqc.h")
const text = readFileSync(headerPath, "latin1")

const numbers = new Map<string, number>()
for (const [, name, value] of text.matchAll(/^\s*#define\s+(MQ\w+)\s+\(?(-?(?:0x[0-9A-Fa-f]+|\d+))\)?\s*$/gm)) {
  if (name !== undefined && value !== undefined && !numbers.has(name)) {
    numbers.set(name, value.startsWith("-") ? -Number(value.slice(1)) : Number(value))
  }
}

const strings = new Map<string, string>()
for (const [, name, value] of text.matchAll(/^\s*#define\s+(MQ\w+)\s+"([^"]*)"\s*$/gm)) {
  if (name !== undefined && value !== undefined && !strings.has(name)) strings.set(name, value)
}

/** The number cmqc.h defines for a name; throws when the header has no such numeric `#define`. */
export const headerNumber = (name: string): number => {
  const value = numbers.get(name)
  if (value === undefined) throw new Error(`cmqc.h defines no number named ${name}`)
  return value
}

/** The string cmqc.h defines for a name; throws when the header has no such string `#define`. */
export const headerString = (name: string): string => {
  const value = strings.get(name)
  if (value === undefined) throw new Error(`cmqc.h defines no string named ${name}`)
  return value
}
