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

/** Values of cmqc.h the wire protocol carries. */
export const Cmqc = {
  /** `MQOT_*`: object types. */
  OT_Q: 1,
  OT_NAMELIST: 2,
  OT_PROCESS: 3,
  OT_Q_MGR: 5,
  OT_TOPIC: 8,
  /** `MQHC_UNUSABLE_HCONN`: no connection. */
  HC_UNUSABLE_HCONN: -1,
  /** `MQHO_NONE`, `MQHO_UNUSABLE_HOBJ`: no object handle. */
  HO_NONE: 0,
  HO_UNUSABLE_HOBJ: -1,
  /** `MQIAV_NOT_APPLICABLE`: an integer attribute the object does not have. */
  IAV_NOT_APPLICABLE: -2,
  /** `MQCA_*` selectors start here; `MQIA_*` ones are below. */
  CA_FIRST: 2001,
  /** `MQSR_ACTION_PUBLICATION`: MQSUBRQ's only action. */
  SR_ACTION_PUBLICATION: 1,
  RC_ALREADY_CONNECTED: 2002,
  RC_UNEXPECTED_ERROR: 2195,
  RC_NO_RETAINED_MSG: 2437,
  RC_ACTION_ERROR: 2535
} as const
