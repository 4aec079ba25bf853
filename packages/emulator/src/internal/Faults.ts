import type { Verb } from "@resilient-mq/core"

/** An injected failure: answer `reason`, before doing the call or (`after`) once it is done. */
export interface InjectedFailure {
  readonly reason: number
  readonly after: boolean
}

/** The faults a test has set on one queue manager. They outlive restarts; `clear` removes them. */
export class Faults {
  private readonly failures = new Map<Verb, Array<InjectedFailure>>()
  private readonly delays = new Map<Verb | "*", number>()
  /** New connections are refused with this reason while set. */
  refusal: number | undefined = undefined

  failNext(verb: Verb, failure: InjectedFailure, count: number): void {
    const queued = this.failures.get(verb) ?? []
    for (let i = 0; i < count; i++) queued.push(failure)
    this.failures.set(verb, queued)
  }

  /** The failure the next call of `verb` must answer, consumed. */
  take(verb: Verb): InjectedFailure | undefined {
    const queued = this.failures.get(verb)
    const failure = queued?.shift()
    if (queued !== undefined && queued.length === 0) this.failures.delete(verb)
    return failure
  }

  setDelay(verb: Verb | "*", millis: number): void {
    if (millis > 0) this.delays.set(verb, millis)
    else this.delays.delete(verb)
  }

  /** How long a call of `verb` waits before doing its work: its own delay, else the one for every verb. */
  delayOf(verb: Verb): number {
    return this.delays.get(verb) ?? this.delays.get("*") ?? 0
  }

  clear(): void {
    this.failures.clear()
    this.delays.clear()
    this.refusal = undefined
  }
}
