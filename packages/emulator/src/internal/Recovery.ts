import type { JournalRecord } from "./Journal.ts"
import type { QueueManager } from "./QueueManager.ts"
import { SubscriptionRecord } from "./Subscriptions.ts"

type MessageRecord = Extract<JournalRecord, { readonly _tag: "Message" }>

/**
 * Replays a journal on a queue manager just made from its options: administration, dynamic queues,
 * durable subscriptions, then the messages that are still there. Messages go back in arrival order,
 * whatever order their commits came in, with their BackoutCount.
 */
export const replay = (qm: QueueManager, records: ReadonlyArray<JournalRecord>): void => {
  const messages = new Map<number, MessageRecord>()
  const forgetMessagesOf = (queue: string) => {
    for (const [seq, message] of messages) if (message.queue === queue) messages.delete(seq)
  }
  for (const record of records) {
    switch (record._tag) {
      case "Identity":
        qm.ids.continueAfter(record.stamp)
        break
      case "DefineQueue":
        forgetMessagesOf(record.name)
        qm.defineQueue(record.name, record.definition)
        break
      case "DeleteQueue":
        forgetMessagesOf(record.name)
        qm.removeQueue(record.name)
        break
      case "DefineTopic":
        qm.defineTopic(record.name, record.topicString)
        break
      case "DynamicQueue":
        qm.restoreDynamicQueue(record.name, { ...record.attributes }, record.created)
        break
      case "DropDynamicQueue":
        forgetMessagesOf(record.name)
        qm.objects.delete(record.name)
        break
      case "SetAttributes":
        qm.restoreSettings(record.name, record.values)
        break
      case "Subscribe":
        qm.subscriptions.add(
          new SubscriptionRecord(record.name, record.topicString, true, record.managed, record.destination)
        )
        break
      case "Unsubscribe": {
        const subscription = qm.subscriptions.named(record.name)
        if (subscription !== undefined) qm.subscriptions.remove(subscription)
        break
      }
      case "Message":
        messages.set(record.seq, record)
        break
      case "Removed":
        messages.delete(record.seq)
        break
      case "BackedOut": {
        const message = messages.get(record.seq)
        if (message !== undefined) messages.set(record.seq, { ...message, backoutCount: record.backoutCount })
      }
    }
  }
  for (const message of [...messages.values()].sort((a, b) => a.seq - b.seq)) {
    const queue = qm.objects.get(message.queue)
    if (queue?.kind !== "local") continue
    queue.add({
      seq: message.seq,
      rank: queue.rankOf(message.descriptor.priority),
      body: message.body,
      properties: message.properties,
      descriptor: message.descriptor,
      persistent: true,
      expiresAt: message.expiresAt,
      backoutCount: message.backoutCount,
      state: "available"
    })
    qm.continueSequenceAfter(message.seq)
  }
}

/**
 * The records that rebuild a queue manager as it is, on top of its options: what a journal is
 * rewritten with when the queue manager starts (compaction). Only committed persistent messages
 * count; a message got in a unit of work still open is kept, as a crash would back that out.
 */
export const snapshot = (qm: QueueManager): Array<JournalRecord> => {
  const records: Array<JournalRecord> = [
    { _tag: "Identity", qmid: qm.qmid, stamp: qm.ids.stamp },
    ...qm.administered.queues.values(),
    ...qm.administered.topics.values()
  ]
  for (const object of qm.objects.values()) {
    if (object.kind === "local" && object.definitionType === "permanent") {
      records.push({ _tag: "DynamicQueue", name: object.name, attributes: object.attributes, created: object.created })
    }
  }
  for (const [name, values] of qm.administered.settings) records.push({ _tag: "SetAttributes", name, values })
  for (const subscription of qm.subscriptions.list()) {
    if (!subscription.durable || subscription.name === undefined) continue
    records.push({
      _tag: "Subscribe",
      name: subscription.name,
      topicString: subscription.topicString,
      managed: subscription.managed,
      destination: subscription.destination
    })
  }
  for (const object of qm.objects.values()) {
    if (object.kind !== "local" || object.definitionType === "temporary") continue
    for (const message of object.messages()) {
      if (!message.persistent || message.state === "put-pending") continue
      records.push({
        _tag: "Message",
        queue: object.name,
        seq: message.seq,
        descriptor: message.descriptor,
        properties: message.properties,
        body: message.body,
        expiresAt: message.expiresAt,
        backoutCount: message.backoutCount
      })
    }
  }
  return records
}
