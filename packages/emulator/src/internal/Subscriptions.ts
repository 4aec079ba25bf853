/**
 * Whether a published topic string matches a subscription's topic string, with `#` (any number of
 * levels, none included) and `+` (exactly one level) as wildcards when they are a whole level
 * (MQ-BEHAVIOUR §8.2, the default topic wildcard scheme).
 */
export const topicMatches = (filter: string, topic: string): boolean => {
  const f = filter.split("/")
  const t = topic.split("/")
  const from = (i: number, j: number): boolean => {
    if (i === f.length) return j === t.length
    const level = f[i]
    if (level === "#") return from(i + 1, j) || (j < t.length && from(i, j + 1))
    if (j === t.length) return false
    return (level === "+" || level === t[j]) && from(i + 1, j + 1)
  }
  return from(0, 0)
}

/** A subscription: where publications on a topic go, and how long it lives. */
export class SubscriptionRecord {
  /** The subscription handle that has it open, if one does (MQ allows one at a time). */
  openBy: number | undefined = undefined

  constructor(
    readonly name: string | undefined,
    readonly topicString: string,
    readonly durable: boolean,
    /** Its destination was created by the queue manager (a managed subscription). */
    readonly managed: boolean,
    /** The queue publications are put to. */
    readonly destination: string
  ) {}
}

/** The subscriptions of a queue manager; names are unique among them. */
export class Subscriptions {
  private readonly all = new Set<SubscriptionRecord>()
  private readonly byName = new Map<string, SubscriptionRecord>()

  add(subscription: SubscriptionRecord): void {
    this.all.add(subscription)
    if (subscription.name !== undefined) this.byName.set(subscription.name, subscription)
  }

  remove(subscription: SubscriptionRecord): void {
    this.all.delete(subscription)
    if (subscription.name !== undefined) this.byName.delete(subscription.name)
  }

  named(name: string): SubscriptionRecord | undefined {
    return this.byName.get(name)
  }

  matching(topic: string): Array<SubscriptionRecord> {
    return [...this.all].filter((s) => topicMatches(s.topicString, topic))
  }

  list(): ReadonlyArray<SubscriptionRecord> {
    return [...this.all]
  }
}
