export * from "./Backoff.ts"
export * from "./Errors.ts"
export * from "./FailureClass.ts"
export * from "./RetryPolicy.ts"
