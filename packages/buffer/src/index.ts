export * from "./BufferedProducer.ts"
export * from "./BufferStore.ts"
export * from "./Capacity.ts"
export * from "./MemoryBufferStore.ts"
