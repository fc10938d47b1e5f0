import type { RoutingConfig } from './config.ts'
import { DecayingAverage } from './ewma.ts'
import type { FailureKind } from './failure.ts'
import { UptimeWindow } from './uptime.ts'

/** What the router saw of one successful request. */
export interface ObservedSuccess {
  /** Time to the first frame of a stream; omit for plain requests, where it would be the whole latency. */
  ttftMs?: number
  /** Output tokens per second of generation; omit when there were too few tokens to tell. */
  tokensPerSecond?: number
}

/** The router's own view of one provider serving one model. */
export interface ProviderStats {
  /** Average time to first token of streams, in ms. */
  ttftMs: number | undefined
  /** Average output tokens per second. */
  tokensPerSecond: number | undefined
  /** Average success (1) or failure (0) of attempts; busy answers are not counted. */
  successRate: number | undefined
  /** Decayed count of counted outcomes: how much evidence backs `successRate`. */
  samples: number
  /** Average libp2p ping round trip to the peer, in ms. */
  rttMs: number | undefined
  /** Requests the router has in flight to this peer for this model. */
  inFlight: number
  /** Success ratio over the uptime window (an hour by default). */
  uptime: number | undefined
}

interface ModelMeasurements {
  ttft: DecayingAverage
  throughput: DecayingAverage
  success: DecayingAverage
  uptime: UptimeWindow
  inFlight: number
}

interface PeerMeasurements {
  rtt: DecayingAverage
  rttAt: number
  models: Map<string, ModelMeasurements>
}

/**
 * Decaying averages of what the router observes of each provider, per (peer, model):
 * time to first token, throughput, success, in-flight requests; and per peer, ping round
 * trips. What providers advertise about themselves is not recorded here.
 */
export class Measurements {
  readonly #config: Pick<RoutingConfig, 'halfLifeMs' | 'uptime'>
  readonly #now: () => number
  readonly #peers = new Map<string, PeerMeasurements>()

  constructor(config: Pick<RoutingConfig, 'halfLifeMs' | 'uptime'>, now: () => number = Date.now) {
    this.#config = config
    this.#now = now
  }

  recordSuccess(peerId: string, model: string, { ttftMs, tokensPerSecond }: ObservedSuccess = {}): void {
    const now = this.#now()
    const entry = this.#model(peerId, model)
    if (ttftMs !== undefined && Number.isFinite(ttftMs) && ttftMs >= 0) entry.ttft.add(ttftMs, now)
    if (tokensPerSecond !== undefined && Number.isFinite(tokensPerSecond) && tokensPerSecond > 0) entry.throughput.add(tokensPerSecond, now)
    entry.success.add(1, now)
    entry.uptime.record(true, now)
  }

  recordFailure(peerId: string, model: string, kind: FailureKind): void {
    // A provider at capacity is healthy, just full: the cooldown handles it.
    if (kind === 'busy') return
    const now = this.#now()
    const entry = this.#model(peerId, model)
    entry.success.add(0, now)
    entry.uptime.record(false, now)
  }

  /** Records a libp2p ping to `peerId`. */
  recordRtt(peerId: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return
    const peer = this.#peer(peerId)
    peer.rttAt = this.#now()
    peer.rtt.add(ms, peer.rttAt)
  }

  /** Counts a request starting; pair every call with `end`. */
  begin(peerId: string, model: string): void {
    this.#model(peerId, model).inFlight += 1
  }

  end(peerId: string, model: string): void {
    const entry = this.#model(peerId, model)
    entry.inFlight = Math.max(0, entry.inFlight - 1)
  }

  inFlight(peerId: string, model: string): number {
    return this.#peers.get(peerId)?.models.get(model)?.inFlight ?? 0
  }

  snapshot(peerId: string, model: string): ProviderStats {
    const now = this.#now()
    const peer = this.#peers.get(peerId)
    const entry = peer?.models.get(model)
    return {
      ttftMs: entry?.ttft.value,
      tokensPerSecond: entry?.throughput.value,
      successRate: entry?.success.value,
      samples: entry?.success.weight(now) ?? 0,
      rttMs: peer?.rtt.value,
      inFlight: entry?.inFlight ?? 0,
      uptime: entry?.uptime.ratio(now),
    }
  }

  /**
   * Forgets (peer, model) pairs with nothing in flight and no outcome within the uptime
   * window, and peers left with none and no recent ping; call it now and then to bound memory.
   * Returns how many pairs were dropped.
   */
  prune(): number {
    const horizon = this.#now() - this.#config.uptime.windowMs
    let dropped = 0
    for (const [peerId, peer] of this.#peers) {
      for (const [model, entry] of peer.models) {
        if (entry.inFlight === 0 && entry.uptime.lastRecordedAt < horizon) {
          peer.models.delete(model)
          dropped++
        }
      }
      if (peer.models.size === 0 && peer.rttAt < horizon) this.#peers.delete(peerId)
    }
    return dropped
  }

  #peer(peerId: string): PeerMeasurements {
    let peer = this.#peers.get(peerId)
    if (!peer) {
      peer = { rtt: new DecayingAverage(this.#config.halfLifeMs), rttAt: -Infinity, models: new Map() }
      this.#peers.set(peerId, peer)
    }
    return peer
  }

  #model(peerId: string, model: string): ModelMeasurements {
    const peer = this.#peer(peerId)
    let entry = peer.models.get(model)
    if (!entry) {
      const halfLife = this.#config.halfLifeMs
      entry = {
        ttft: new DecayingAverage(halfLife),
        throughput: new DecayingAverage(halfLife),
        success: new DecayingAverage(halfLife),
        uptime: new UptimeWindow(this.#config.uptime),
        inFlight: 0,
      }
      peer.models.set(model, entry)
    }
    return entry
  }
}
