import type { CooldownConfig } from './config.ts'
import type { FailureKind } from './failure.ts'

/**
 * A breaker's state: `closed` takes requests; `open` takes none until its cooldown ends;
 * `half-open` takes one trial request, whose outcome closes or re-opens it.
 */
export type BreakerState = 'closed' | 'open' | 'half-open'

interface Breaker {
  /** Consecutive failures that opened or re-opened the breaker. */
  failures: number
  openUntil: number
  /** When the half-open trial went out, if one is out. */
  trialSince: number | undefined
}

/**
 * Circuit breakers with exponential backoff, one per (peer, model) and one per peer. A
 * connection failure opens the peer's breaker (every model behind it is unreachable);
 * other failures open only the model's. A provider is available when both are.
 *
 * A failure opens the breaker for `baseMs`; each failed trial multiplies that by `factor`,
 * up to `maxMs`. Failures of requests that were already in flight when it opened do not
 * lengthen it, so a burst of concurrent failures counts once.
 */
export class Cooldown {
  readonly #config: CooldownConfig
  readonly #now: () => number
  readonly #breakers = new Map<string, Breaker>()

  constructor(config: CooldownConfig, now: () => number = Date.now) {
    this.#config = config
    this.#now = now
  }

  /** The provider's state: the worse of its peer's and its model's breakers. */
  state(peerId: string, model: string): BreakerState {
    const now = this.#now()
    const states = [this.#state(this.#breakers.get(peerKey(peerId)), now), this.#state(this.#breakers.get(modelKey(peerId, model)), now)]
    return states.includes('open') ? 'open' : states.includes('half-open') ? 'half-open' : 'closed'
  }

  /** Whether a request may go to the provider now: closed, or half-open with no trial out. */
  available(peerId: string, model: string): boolean {
    const now = this.#now()
    return this.#keys(peerId, model).every((key) => this.#admits(this.#breakers.get(key), now))
  }

  /** When the provider can next take a request (epoch ms): now if available, else when its cooldown or trial ends. */
  retryAt(peerId: string, model: string): number {
    const now = this.#now()
    let at = now
    for (const key of this.#keys(peerId, model)) {
      const breaker = this.#breakers.get(key)
      if (!breaker) continue
      if (breaker.openUntil > now) at = Math.max(at, breaker.openUntil)
      else if (this.#trialOut(breaker, now)) at = Math.max(at, breaker.trialSince! + this.#config.probeTimeoutMs)
    }
    return at
  }

  /** Marks an attempt going out: if the provider is half-open, this is its trial. */
  begin(peerId: string, model: string): void {
    const now = this.#now()
    for (const key of this.#keys(peerId, model)) {
      const breaker = this.#breakers.get(key)
      if (breaker && this.#state(breaker, now) === 'half-open' && !this.#trialOut(breaker, now)) breaker.trialSince = now
    }
  }

  /** The provider answered: closes both breakers. */
  recordSuccess(peerId: string, model: string): void {
    for (const key of this.#keys(peerId, model)) this.#breakers.delete(key)
  }

  /** The provider failed: opens (or re-opens, longer) the peer's breaker for a connection failure, else the model's. */
  recordFailure(peerId: string, model: string, kind: FailureKind): void {
    const now = this.#now()
    const key = kind === 'connection' ? peerKey(peerId) : modelKey(peerId, model)
    const breaker = this.#breakers.get(key)
    if (breaker && breaker.openUntil > now) return
    const failures = (breaker?.failures ?? 0) + 1
    const { baseMs, factor, maxMs } = this.#config
    const backoff = Math.min(maxMs, baseMs * factor ** (failures - 1))
    this.#breakers.set(key, { failures, openUntil: now + backoff, trialSince: undefined })
  }

  /** An attempt ended with no verdict on the provider (the client left, the request was refused): frees its trial slot. */
  release(peerId: string, model: string): void {
    for (const key of this.#keys(peerId, model)) {
      const breaker = this.#breakers.get(key)
      if (breaker) breaker.trialSince = undefined
    }
  }

  #keys(peerId: string, model: string): string[] {
    return [peerKey(peerId), modelKey(peerId, model)]
  }

  #state(breaker: Breaker | undefined, now: number): BreakerState {
    if (!breaker) return 'closed'
    return breaker.openUntil > now ? 'open' : 'half-open'
  }

  #admits(breaker: Breaker | undefined, now: number): boolean {
    const state = this.#state(breaker, now)
    return state === 'closed' || (state === 'half-open' && !this.#trialOut(breaker!, now))
  }

  #trialOut(breaker: Breaker, now: number): boolean {
    return breaker.trialSince !== undefined && now - breaker.trialSince < this.#config.probeTimeoutMs
  }
}

const peerKey = (peerId: string) => peerId
// Peer ids never contain a newline, so this cannot collide with a bare peer key.
const modelKey = (peerId: string, model: string) => `${peerId}\n${model}`
