export * from "./Emulator.ts"
export * from "./EmulatorOptions.ts"
