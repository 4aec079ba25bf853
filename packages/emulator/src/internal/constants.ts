/** Fixed values a Linux queue manager reports (MQ-BEHAVIOUR §3.4, §7.2). */
export const QueueManagerDefaults = {
  codedCharSetId: 1208,
  encoding: 546, // MQENC_NATIVE on x86-64 Linux
  commandLevel: 940,
  platform: 3, // MQPL_UNIX
  maxPriority: 9,
  maxHandles: 256,
  maxUncommittedMessages: 10000,
  maxMessageLength: 4194304,
  putApplType: 6, // MQAT_UNIX
  msgType: 8, // MQMT_DATAGRAM
  maxDepth: 5000
} as const

export const Channels = ["DEV.APP.SVRCONN", "DEV.ADMIN.SVRCONN", "SYSTEM.DEF.SVRCONN"] as const
