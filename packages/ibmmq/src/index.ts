export * from "./IbmMq.ts"
export * from "./IbmMqUnavailable.ts"
