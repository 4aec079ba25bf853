export {
  type ConnectionInfo,
  Emulator,
  EmulatorDataError,
  layer,
  type QueueManagerInfo
} from "./Emulator.ts"
export { type ClientOptions, EmulatorClientError, layerClient } from "./EmulatorClient.ts"
export type { EmulatorOptions, QueueManagerOptions } from "./EmulatorOptions.ts"
export { EmulatorServer, EmulatorServerError, layerServer, type ServerOptions } from "./EmulatorServer.ts"
