import type { ModelOffer, Offer } from '@agora/protocol'
import { RoutingConfig, type RoutingConfigInput } from './config.ts'
import { Cooldown } from './cooldown.ts'
import { Measurements } from './measurements.ts'
import type { RoutingContext } from './plan.ts'
import { seededRandom } from './random.ts'
import { OfferRegistry, type Candidate } from './registry.ts'
import { SessionAffinity } from './sessions.ts'

/** Builders for the routing unit tests: offers, a hand-driven clock and a whole routing context. */

export const T0 = 1_700_000_000_000

/** A clock tests move by hand. */
export interface TestClock {
  now: () => number
  advance(ms: number): void
}

export function testClock(start = T0): TestClock {
  let time = start
  return { now: () => time, advance: (ms) => void (time += ms) }
}

export type ModelOfferOverrides = Partial<Omit<ModelOffer, 'pricing'>> & {
  /** Prices in micro-USD per million tokens. */
  input?: bigint
  output?: bigint
  supportedParameters?: string[]
}

export function modelOffer({ input = 100_000n, output = 200_000n, ...rest }: ModelOfferOverrides = {}): ModelOffer {
  return { id: 'm', contextLength: 8192, maxConcurrency: 8, inFlight: 0, pricing: { inputPerMTok: input, outputPerMTok: output }, ...rest }
}

export function testOffer(peerId: string, models: ModelOfferOverrides[] = [{}], { name = peerId, expiresAt = T0 + 3_600_000 } = {}): Offer {
  return {
    v: 1,
    peerId,
    name,
    payout: '0x0000000000000000000000000000000000000001',
    binding: `0x${'00'.repeat(65)}`,
    seq: 1,
    expiresAt,
    models: models.map(modelOffer),
  }
}

export function candidate(peerId: string, model: ModelOfferOverrides = {}, name = peerId): Candidate {
  const offer = testOffer(peerId, [model], { name })
  return { offer, model: offer.models[0]! }
}

export interface TestRouting extends RoutingContext {
  clock: TestClock
}

/** A routing context over `offers`, on a test clock, with a seeded RNG. */
export function testRouting(offers: Offer[], { config = {}, seed = 1 }: { config?: RoutingConfigInput; seed?: number } = {}): TestRouting {
  const clock = testClock()
  const parsed = RoutingConfig.parse(config)
  const registry = new OfferRegistry()
  for (const offer of offers) registry.accept(offer)
  return {
    registry,
    measurements: new Measurements(parsed, clock.now),
    cooldown: new Cooldown(parsed.cooldown, clock.now),
    sessions: new SessionAffinity(parsed.sessions, clock.now),
    config: parsed,
    rng: seededRandom(seed),
    now: clock.now,
    clock,
  }
}
