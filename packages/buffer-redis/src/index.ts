export * from "./RedisBufferStore.ts"
