/** Bytes in hexadecimal: how unit ids and MsgIds appear in events, errors and logs. */
export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

