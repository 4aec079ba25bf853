import { assert, describe, it } from "@effect/vitest"
import { Reader, Writer } from "../src/internal/wire/Codec.ts"
import { FrameDecoder, readHeader, requestFrame } from "../src/internal/wire/Frames.ts"
import { MQMD_LENGTH, readDescriptor, writeDescriptor } from "../src/internal/wire/Mqmd.ts"
import { MQTYPE, readProperties } from "../src/internal/wire/Properties.ts"
import { mqmdDefault } from "./support/WireClient.ts"

describe("wire codecs", () => {
  it("an MQMD is 364 bytes with the fields where cmqc.h puts them on x86-64 Linux", () => {
    const w = new Writer()
    writeDescriptor(w, {
      ...mqmdDefault,
      priority: 7,
      msgId: new Uint8Array(24).fill(0xaa),
      replyToQ: "REPLY.Q",
      putApplType: 6,
      groupId: new Uint8Array(24).fill(0xbb),
      originalLength: 99
    })
    const bytes = w.finish()
    const view = new DataView(bytes.buffer, bytes.byteOffset)
    assert.strictEqual(bytes.length, MQMD_LENGTH)
    assert.strictEqual(new TextDecoder().decode(bytes.subarray(0, 4)), "MD  ")
    assert.strictEqual(view.getInt32(4, true), 2)
    assert.strictEqual(view.getInt32(40, true), 7, "Priority")
    assert.strictEqual(bytes[48], 0xaa, "MsgId")
    assert.strictEqual(new TextDecoder().decode(bytes.subarray(100, 148)), "REPLY.Q".padEnd(48, " "), "ReplyToQ")
    assert.strictEqual(view.getInt32(272, true), 6, "PutApplType")
    assert.strictEqual(bytes[324], 0xbb, "GroupId")
    assert.strictEqual(view.getInt32(360, true), 99, "OriginalLength")
    const back = readDescriptor(new Reader(bytes))
    assert.deepStrictEqual({ ...back, strucId: undefined, version: undefined }, {
      ...mqmdDefault,
      priority: 7,
      msgId: new Uint8Array(24).fill(0xaa),
      replyToQ: "REPLY.Q",
      putApplType: 6,
      groupId: new Uint8Array(24).fill(0xbb),
      originalLength: 99,
      strucId: undefined,
      version: undefined
    })
  })

  it("frames split across chunks and several in one chunk come out whole", () => {
    const frames = [1, 2, 3].map((id) => requestFrame(id, 7, (w) => w.str("x".repeat(id * 100))))
    const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
    let at = 0
    for (const frame of frames) {
      stream.set(frame, at)
      at += frame.length
    }
    const decoder = new FrameDecoder()
    const payloads = [stream.subarray(0, 3), stream.subarray(3, 250), stream.subarray(250)].flatMap((chunk) =>
      decoder.push(chunk)
    )
    assert.deepStrictEqual(payloads.map((p) => readHeader(p).id), [1, 2, 3])
  })

  it("properties of every MQTYPE are read; numbers come back as numbers", () => {
    const w = new Writer().u32(3)
    w.str("small").i32(MQTYPE.INT8).u32(1).raw(Uint8Array.of(0xfb))
    w.str("short").i32(MQTYPE.INT16).u32(2).raw(Uint8Array.of(0x2c, 0x01))
    w.str("float").i32(MQTYPE.FLOAT32).u32(4).raw(new Uint8Array(Float32Array.of(0.5).buffer))
    assert.deepStrictEqual(readProperties(new Reader(w.finish())), { small: -5, short: 300, float: 0.5 })
  })
})
