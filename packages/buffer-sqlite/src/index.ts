export * from "./SqliteBufferStore.ts"
