// Names, identifiers and timestamps in the formats a queue manager produces (MQ-BEHAVIOUR §2.5, §3.2, §3.4).

const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

/** `YYYYMMDD` and `HHMMSSTH` in GMT, as MQMD PutDate and PutTime. */
export const putDateTime = (millis: number): { readonly putDate: string; readonly putTime: string } => {
  const d = new Date(millis)
  return {
    putDate: `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`,
    putTime: `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${
      pad(Math.floor(d.getUTCMilliseconds() / 10))
    }`
  }
}

/** `YYYY-MM-DD` and `HH.MM.SS`, as CRDATE and CRTIME (in GMT, so that tests do not depend on the machine). */
export const creationDateTime = (millis: number): { readonly date: string; readonly time: string } => {
  const d = new Date(millis)
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}.${pad(d.getUTCMinutes())}.${pad(d.getUTCSeconds())}`
  }
}

/** The QMID MQ gives a queue manager: its name and creation date and time. */
export const queueManagerIdentifier = (name: string, millis: number): string => {
  const { date, time } = creationDateTime(millis)
  return `${name}_${date}_${time}`
}

const hex8 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, "0")

/**
 * Generates message and correlation identifiers: `AMQ ` + the queue manager name blank-padded to 12
 * + 4 bytes of a start stamp (little-endian Unix seconds) + 4 bytes of a per-message counter.
 */
export class IdentifierGenerator {
  private counter = 0
  private readonly prefix: Uint8Array
  /** The start stamp, in Unix seconds. */
  stamp: number

  constructor(queueManagerName: string, startMillis: number) {
    this.prefix = new Uint8Array(20)
    const text = `AMQ ${queueManagerName.slice(0, 12).padEnd(12, " ")}`
    for (let i = 0; i < 16; i++) this.prefix[i] = text.charCodeAt(i) & 0xff
    this.stamp = Math.floor(startMillis / 1000) >>> 0
    this.setStamp()
  }

  /**
   * Moves the stamp past one an earlier run of the queue manager used, so that identifiers
   * generated now never repeat one of a message kept from that run (the counter starts again).
   */
  continueAfter(previousStamp: number): void {
    if (this.stamp > previousStamp) return
    this.stamp = (previousStamp + 1) >>> 0
    this.setStamp()
  }

  private setStamp(): void {
    new DataView(this.prefix.buffer).setUint32(16, this.stamp, true)
  }

  next(): Uint8Array {
    const id = new Uint8Array(24)
    id.set(this.prefix)
    this.counter = (this.counter + 1) >>> 0
    new DataView(id.buffer).setUint32(20, this.counter, true)
    return id
  }

  /**
   * The 16 hex digits that replace `*` in a dynamic queue name: creation time in Unix seconds, then
   * a value unique to this queue manager.
   */
  uniqueSuffix(millis: number): string {
    this.counter = (this.counter + 1) >>> 0
    return hex8(Math.floor(millis / 1000)) + hex8(this.counter)
  }
}
