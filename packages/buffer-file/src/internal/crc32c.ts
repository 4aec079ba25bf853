/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and most
 * storage logs: better at catching the burst errors of torn and misdirected writes than CRC-32.
 * Table-driven, sixteen bytes a step ("slicing-by-16"): every append checksums its record on the
 * event loop and recovery checks every byte of every segment, so a byte-at-a-time loop (several
 * times slower) would show in both.
 */

const POLYNOMIAL = 0x82f63b78
const SLICES = 16

// TABLES[k][b]: the CRC of byte b followed by k zero bytes, so sixteen bytes fold in one step.
const TABLES: ReadonlyArray<Uint32Array> = (() => {
  const tables = Array.from({ length: SLICES }, () => new Uint32Array(256))
  const first = tables[0]!
  for (let b = 0; b < 256; b++) {
    let crc = b
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1
    first[b] = crc >>> 0
  }
  for (let k = 1; k < SLICES; k++) {
    const previous = tables[k - 1]!
    const table = tables[k]!
    for (let b = 0; b < 256; b++) table[b] = (previous[b]! >>> 8) ^ first[previous[b]! & 0xff]!
  }
  return tables
})()

// One binding per table: indexing an array of tables in the inner loop costs a load per byte.
const [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15] = TABLES as unknown as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array
]

/** The CRC-32C of `bytes[start, end)`. */
export const crc32c = (bytes: Uint8Array, start = 0, end = bytes.length): number => {
  let crc = 0xffffffff
  let i = start
  for (; i + SLICES <= end; i += SLICES) {
    const low = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
    crc = T15[low & 0xff]! ^ T14[(low >>> 8) & 0xff]! ^ T13[(low >>> 16) & 0xff]! ^ T12[low >>> 24]! ^
      T11[bytes[i + 4]!]! ^ T10[bytes[i + 5]!]! ^ T9[bytes[i + 6]!]! ^ T8[bytes[i + 7]!]! ^
      T7[bytes[i + 8]!]! ^ T6[bytes[i + 9]!]! ^ T5[bytes[i + 10]!]! ^ T4[bytes[i + 11]!]! ^
      T3[bytes[i + 12]!]! ^ T2[bytes[i + 13]!]! ^ T1[bytes[i + 14]!]! ^ T0[bytes[i + 15]!]!
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ T0[(crc ^ bytes[i]!) & 0xff]!
  return (crc ^ 0xffffffff) >>> 0
}
