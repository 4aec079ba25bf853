export * from "./Errors.ts"
export * from "./ReplyAffinity.ts"
export * as Responder from "./Responder.ts"
