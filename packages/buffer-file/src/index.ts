export * from "./FileBufferStore.ts"
