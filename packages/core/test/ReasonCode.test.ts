import { assert, describe, it } from "@effect/vitest"
import { readHeaderReasonCodes } from "../scripts/generate-reason-codes.ts"
import { Attribute, type AttributeName, DefinitionType, Inhibit, QueueType } from "../src/Attribute.ts"
import { MQCO, MQGMO, MQMO, MQOO, MQPMO, MQSO, MQWI_UNLIMITED } from "../src/MqiConstants.ts"
import { reasonCodeTable } from "../src/internal/reasonCodeTable.ts"
import { EXPIRY_UNLIMITED, Format, MsgType, Persistence, PRIORITY_AS_Q_DEF, Report } from "../src/MessageDescriptor.ts"
import { allReasonCodes, CompletionCode, ReasonCode, reasonName } from "../src/ReasonCode.ts"
import { headerNumber, headerString } from "./cmqcHeader.ts"

const headerCodes = readHeaderReasonCodes()

describe("the reason-code table", () => {
  it("is exactly what the binding's cmqc.h defines today, in the header's order", () => {
    assert.isAbove(headerCodes.length, 500)
    assert.deepStrictEqual(
      reasonCodeTable.map(([code, name]) => [code, name]),
      headerCodes.map(([name, code]) => [code, name])
    )
  })

  it("leaves out MQRC_APPL_FIRST and MQRC_APPL_LAST, which bound a range and are not reasons", () => {
    assert.strictEqual(headerNumber("MQRC_APPL_FIRST"), 900)
    assert.strictEqual(headerNumber("MQRC_APPL_LAST"), 999)
    assert.isFalse(reasonCodeTable.some(([, name]) => name === "APPL_FIRST" || name === "APPL_LAST"))
    assert.strictEqual(reasonName(900), "MQRC_UNKNOWN_900")
  })

  it("gives every ReasonCode constant the number cmqc.h gives MQRC_ of the same name", () => {
    for (const [name, code] of Object.entries(ReasonCode)) {
      assert.strictEqual(code, headerNumber(`MQRC_${name}`), `ReasonCode.${name}`)
    }
  })

  it("gives every CompletionCode constant the number cmqc.h gives MQCC_ of the same name", () => {
    for (const [name, code] of Object.entries(CompletionCode)) {
      assert.strictEqual(code, headerNumber(`MQCC_${name}`), `CompletionCode.${name}`)
    }
  })
})

describe("reasonName", () => {
  it("names a reason code as MQ does", () => {
    assert.strictEqual(reasonName(2053), "MQRC_Q_FULL")
    assert.strictEqual(reasonName(2009), "MQRC_CONNECTION_BROKEN")
    assert.strictEqual(reasonName(2549), "MQRC_CALL_INTERRUPTED")
    assert.strictEqual(reasonName(0), "MQRC_NONE")
  })

  it("names a number with two MQ names by the first one the header defines", () => {
    assert.strictEqual(reasonName(2120), "MQRC_CONVERTED_MSG_TOO_BIG")
    assert.strictEqual(reasonName(2192), "MQRC_STORAGE_MEDIUM_FULL")
  })

  it("names every code in the header by the first name the header gives that number", () => {
    const first = new Map<number, string>()
    for (const [name, code] of headerCodes) if (!first.has(code)) first.set(code, name)
    for (const [code, name] of first) assert.strictEqual(reasonName(code), `MQRC_${name}`, String(code))
  })

  it("names a code MQ does not define MQRC_UNKNOWN_<code>", () => {
    assert.strictEqual(reasonName(2015), "MQRC_UNKNOWN_2015")
    assert.strictEqual(reasonName(950), "MQRC_UNKNOWN_950")
    assert.strictEqual(reasonName(123456), "MQRC_UNKNOWN_123456")
  })

  it("lists every code of the header once in allReasonCodes, with the name reasonName gives it", () => {
    const codes = allReasonCodes()
    assert.strictEqual(codes.size, new Set(headerCodes.map(([, code]) => code)).size)
    for (const [, code] of headerCodes) assert.strictEqual(codes.get(code), reasonName(code), String(code))
  })
})

describe("MQI constants equal cmqc.h's #defines", () => {
  const optionGroups = { MQOO, MQCO, MQPMO, MQGMO, MQMO, MQSO } as const

  for (const [prefix, group] of Object.entries(optionGroups)) {
    it(`every ${prefix}_* bit has the value cmqc.h defines`, () => {
      assert.isAbove(Object.keys(group).length, 3)
      for (const [name, value] of Object.entries(group)) {
        assert.strictEqual(value, headerNumber(`${prefix}_${name}`), `${prefix}_${name}`)
      }
    })
  }

  it("MQWI_UNLIMITED is the header's -1", () => {
    assert.strictEqual(MQWI_UNLIMITED, headerNumber("MQWI_UNLIMITED"))
    assert.strictEqual(MQWI_UNLIMITED, -1)
  })

  // Each attribute's MQIA_/MQCA_ selector and, for strings, the MQ_*_LENGTH of its value.
  const headerNames: Record<AttributeName, { readonly selector: string; readonly length?: string }> = {
    CodedCharSetId: { selector: "MQIA_CODED_CHAR_SET_ID" },
    CurrentQDepth: { selector: "MQIA_CURRENT_Q_DEPTH" },
    DefInputOpenOption: { selector: "MQIA_DEF_INPUT_OPEN_OPTION" },
    DefPersistence: { selector: "MQIA_DEF_PERSISTENCE" },
    DefPriority: { selector: "MQIA_DEF_PRIORITY" },
    DefinitionType: { selector: "MQIA_DEFINITION_TYPE" },
    HardenGetBackout: { selector: "MQIA_HARDEN_GET_BACKOUT" },
    InhibitGet: { selector: "MQIA_INHIBIT_GET" },
    InhibitPut: { selector: "MQIA_INHIBIT_PUT" },
    MaxHandles: { selector: "MQIA_MAX_HANDLES" },
    Usage: { selector: "MQIA_USAGE" },
    MaxMsgLength: { selector: "MQIA_MAX_MSG_LENGTH" },
    MaxPriority: { selector: "MQIA_MAX_PRIORITY" },
    MaxQDepth: { selector: "MQIA_MAX_Q_DEPTH" },
    MsgDeliverySequence: { selector: "MQIA_MSG_DELIVERY_SEQUENCE" },
    OpenInputCount: { selector: "MQIA_OPEN_INPUT_COUNT" },
    OpenOutputCount: { selector: "MQIA_OPEN_OUTPUT_COUNT" },
    QType: { selector: "MQIA_Q_TYPE" },
    BackoutThreshold: { selector: "MQIA_BACKOUT_THRESHOLD" },
    Shareability: { selector: "MQIA_SHAREABILITY" },
    TriggerControl: { selector: "MQIA_TRIGGER_CONTROL" },
    TriggerMsgPriority: { selector: "MQIA_TRIGGER_MSG_PRIORITY" },
    TriggerType: { selector: "MQIA_TRIGGER_TYPE" },
    TriggerDepth: { selector: "MQIA_TRIGGER_DEPTH" },
    Syncpoint: { selector: "MQIA_SYNCPOINT" },
    CommandLevel: { selector: "MQIA_COMMAND_LEVEL" },
    Platform: { selector: "MQIA_PLATFORM" },
    MaxUncommittedMsgs: { selector: "MQIA_MAX_UNCOMMITTED_MSGS" },
    NpmClass: { selector: "MQIA_NPM_CLASS" },
    PropertyControl: { selector: "MQIA_PROPERTY_CONTROL" },
    BaseQName: { selector: "MQCA_BASE_Q_NAME", length: "MQ_Q_NAME_LENGTH" },
    CreationDate: { selector: "MQCA_CREATION_DATE", length: "MQ_CREATION_DATE_LENGTH" },
    CreationTime: { selector: "MQCA_CREATION_TIME", length: "MQ_CREATION_TIME_LENGTH" },
    DeadLetterQName: { selector: "MQCA_DEAD_LETTER_Q_NAME", length: "MQ_Q_NAME_LENGTH" },
    QDesc: { selector: "MQCA_Q_DESC", length: "MQ_Q_DESC_LENGTH" },
    QMgrDesc: { selector: "MQCA_Q_MGR_DESC", length: "MQ_Q_MGR_DESC_LENGTH" },
    QMgrName: { selector: "MQCA_Q_MGR_NAME", length: "MQ_Q_MGR_NAME_LENGTH" },
    QName: { selector: "MQCA_Q_NAME", length: "MQ_Q_NAME_LENGTH" },
    BackoutRequeueQName: { selector: "MQCA_BACKOUT_REQ_Q_NAME", length: "MQ_Q_NAME_LENGTH" },
    TriggerData: { selector: "MQCA_TRIGGER_DATA", length: "MQ_TRIGGER_DATA_LENGTH" },
    QMgrIdentifier: { selector: "MQCA_Q_MGR_IDENTIFIER", length: "MQ_Q_MGR_IDENTIFIER_LENGTH" }
  }

  it("every attribute's selector is the header's MQIA_ (integer) or MQCA_ (string) selector", () => {
    for (const [name, expected] of Object.entries(headerNames)) {
      const attribute = Attribute[name as AttributeName]
      assert.strictEqual(attribute.selector, headerNumber(expected.selector), name)
      assert.strictEqual(attribute.type, expected.selector.startsWith("MQIA_") ? "int" : "string", name)
    }
  })

  it("every string attribute has the length cmqc.h gives its value", () => {
    for (const [name, expected] of Object.entries(headerNames)) {
      const attribute = Attribute[name as AttributeName]
      const length = "length" in attribute ? attribute.length : undefined
      assert.strictEqual(length, expected.length === undefined ? undefined : headerNumber(expected.length), name)
    }
  })

  it("queue attribute values (MQQA_, MQQT_, MQQDT_) are the header's", () => {
    assert.strictEqual(Inhibit.ALLOWED, headerNumber("MQQA_GET_ALLOWED"))
    assert.strictEqual(Inhibit.INHIBITED, headerNumber("MQQA_GET_INHIBITED"))
    assert.strictEqual(Inhibit.ALLOWED, headerNumber("MQQA_PUT_ALLOWED"))
    assert.strictEqual(Inhibit.INHIBITED, headerNumber("MQQA_PUT_INHIBITED"))
    for (const [name, value] of Object.entries(QueueType)) assert.strictEqual(value, headerNumber(`MQQT_${name}`), name)
    for (const [name, value] of Object.entries(DefinitionType)) {
      assert.strictEqual(value, headerNumber(`MQQDT_${name}`), name)
    }
  })

  it("message descriptor values (MQPER_, MQMT_, MQRO_, MQEI_, MQPRI_, MQFMT_) are the header's", () => {
    assert.strictEqual(Persistence.NOT_PERSISTENT, headerNumber("MQPER_NOT_PERSISTENT"))
    assert.strictEqual(Persistence.PERSISTENT, headerNumber("MQPER_PERSISTENT"))
    assert.strictEqual(Persistence.AS_Q_DEF, headerNumber("MQPER_PERSISTENCE_AS_Q_DEF"))
    for (const [name, value] of Object.entries(MsgType)) assert.strictEqual(value, headerNumber(`MQMT_${name}`), name)
    for (const [name, value] of Object.entries(Report)) assert.strictEqual(value, headerNumber(`MQRO_${name}`), name)
    assert.strictEqual(EXPIRY_UNLIMITED, headerNumber("MQEI_UNLIMITED"))
    assert.strictEqual(PRIORITY_AS_Q_DEF, headerNumber("MQPRI_PRIORITY_AS_Q_DEF"))
    // Descriptors carry strings without MQ's trailing blanks, so the formats are the header's, trimmed.
    for (const [name, value] of Object.entries(Format)) assert.strictEqual(value, headerString(`MQFMT_${name}`).trimEnd(), name)
  })
})
