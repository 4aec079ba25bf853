/** A fresh MsgId or CorrelId: 24 random bytes, as unique as the queue manager's own. */
export const newIdentifier = (): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(24))

/** An identifier as hex: the key replies are matched by, and how messages show it. */
export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
