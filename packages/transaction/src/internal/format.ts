import { Predicate } from "effect"

/** Bytes in hexadecimal: how unit ids and MsgIds appear in events, errors and logs. */
export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

/** What a cause says, for a message: its own message when it has one. */
export const describeCause = (cause: unknown): string => {
  if (Predicate.hasProperty(cause, "message") && typeof cause.message === "string") return cause.message
  try {
    return String(cause)
  } catch {
    // An object without a prototype (as a cause may be once serialized) has no string form.
    return "an error without a message"
  }
}
