import type { Random } from '../../../router/src/routing/random.ts'
import type { SimConfig } from './config.ts'
import { integer, logNormal, substream, uniform } from './distributions.ts'

/**
 * How a simulated provider behaves: `honest` advertises its real load and refuses work
 * beyond its capacity; `liar` always advertises no load, takes everything and is
 * overbooked by other routers' traffic, so its requests queue; `intermittent` is honest
 * but goes through bad periods in which every request fails.
 */
export type ProviderKind = 'honest' | 'liar' | 'intermittent'

/** One simulated provider: what it offers and how it really performs. */
export interface ProviderSpec {
  index: number
  peerId: string
  model: string
  kind: ProviderKind
  /** Micro-USD per million tokens, as offered. */
  inputPerMTok: bigint
  outputPerMTok: bigint
  /** Requests it serves at once, as offered (and, unless it lies, as enforced). */
  maxConcurrency: number
  /** Network round trip to the router. */
  rttMs: number
  /** Time to first token of an empty prompt on an idle server, network aside. */
  ttftMs: number
  /** Output tokens per second on an idle server. */
  tokensPerSecond: number
  /** Chance an attempt fails with an engine error. */
  failureRate: number
  /** Mean share of its capacity that other routers' requests keep busy (above 1: overbooked). */
  othersLoad: number
  /** Seeds its schedules of others' load and of bad periods. */
  scheduleSeed: number
}

/** What is for sale: the models and every provider of them. */
export interface Market {
  models: string[]
  providers: ProviderSpec[]
}

/** Input price of the cheapest model; each next model costs twice as much. */
const BASE_INPUT_PER_MTOK = 50_000
/** Share of providers whose engine fails often (the rest fail rarely). */
const FLAKY_SHARE = 0.1

/**
 * Draws the market: `providers` spread evenly over `models`, with log-normal prices
 * (faster providers charging somewhat more), TTFTs and speeds, capacities of 2–16,
 * failure rates from rare to flaky, and the configured shares of liars and intermittent ones.
 * @example
 * const market = drawMarket(parseSimConfig([]))
 */
export function drawMarket({ providers: count, models: modelCount, liarShare, intermittentShare, seed }: SimConfig): Market {
  const rng = substream(seed, 1)
  const models = Array.from({ length: modelCount }, (_, i) => `sim/model-${i}`)
  const providers = Array.from({ length: count }, (_, index): ProviderSpec => {
    const modelIndex = index % modelCount
    const draw = rng()
    const kind: ProviderKind = draw < liarShare ? 'liar' : draw < liarShare + intermittentShare ? 'intermittent' : 'honest'
    const priceFactor = logNormal(rng, 1, 0.5)
    const input = BASE_INPUT_PER_MTOK * 2 ** modelIndex * priceFactor
    return {
      index,
      peerId: `sim-provider-${String(index).padStart(4, '0')}`,
      model: models[modelIndex]!,
      kind,
      inputPerMTok: BigInt(Math.round(input)),
      outputPerMTok: BigInt(Math.round(input * uniform(rng, 1.5, 4))),
      maxConcurrency: integer(rng, 2, 16),
      rttMs: Math.min(400, logNormal(rng, 50, 0.6)),
      ttftMs: logNormal(rng, 350, 0.4) / priceFactor ** 0.3,
      tokensPerSecond: logNormal(rng, 40, 0.35) * priceFactor ** 0.5,
      failureRate: drawFailureRate(rng),
      othersLoad: kind === 'liar' ? uniform(rng, 1, 1.5) : uniform(rng, 0.1, 0.8),
      scheduleSeed: Math.floor(rng() * 2 ** 31),
    }
  })
  return { models, providers }
}

function drawFailureRate(rng: Random): number {
  return rng() < FLAKY_SHARE ? uniform(rng, 0.1, 0.35) : Math.min(0.05, logNormal(rng, 0.01, 0.8))
}
