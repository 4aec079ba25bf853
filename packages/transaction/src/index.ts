export { DEAD_LETTER_HEADER_LENGTH, type DeadLetterHeader, decodeDeadLetterHeader } from "./DeadLetterHeader.ts"
export * from "./Errors.ts"
export * from "./TransactionGuard.ts"
