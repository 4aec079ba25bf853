import { Predicate } from "effect"

const SQLITE_BUSY = 5

/**
 * Whether SQLite refused because another connection holds the lock it needs (`SQLITE_BUSY`,
 * "database is locked"). Node's `node:sqlite` errors carry the extended result code as `errcode`
 * (its low byte is the primary code: `SQLITE_BUSY_RECOVERY` and the like are busy too); Deno's carry
 * only the message, which is SQLite's own text for the code.
 */
export const isBusy = (error: unknown): boolean => {
  if (Predicate.hasProperty(error, "errcode") && Predicate.isNumber(error.errcode)) return (error.errcode & 0xff) === SQLITE_BUSY
  return error instanceof Error && error.message.startsWith("database is locked")
}
