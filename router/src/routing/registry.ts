import { usdPerToken, type CatalogModel, type ModelOffer, type Offer } from '@agora/protocol'

/** One provider's offer for one model: what selection chooses between. */
export interface Candidate {
  offer: Offer
  model: ModelOffer
}

export type AcceptResult = 'accepted' | 'stale'

/**
 * The live offers the router knows, one per provider peer. Remembers the highest `seq`
 * seen per peer even after its offer expires, so a replayed older offer is never taken
 * back.
 */
export class OfferRegistry {
  #offers = new Map<string, Offer>()
  #seq = new Map<string, number>()
  #knownModels = new Set<string>()

  /** Takes an offer that passed schema, signature and freshness checks. */
  accept(offer: Offer): AcceptResult {
    const last = this.#seq.get(offer.peerId)
    if (last !== undefined && offer.seq <= last) return 'stale'
    this.#seq.set(offer.peerId, offer.seq)
    this.#offers.set(offer.peerId, offer)
    for (const model of offer.models) this.#knownModels.add(model.id)
    return 'accepted'
  }

  /** Drops offers whose `expiresAt` has passed; returns the evicted peer ids. */
  evictExpired(now = Date.now()): string[] {
    const evicted: string[] = []
    for (const [peerId, offer] of this.#offers) {
      if (offer.expiresAt <= now) {
        this.#offers.delete(peerId)
        evicted.push(peerId)
      }
    }
    return evicted
  }

  get(peerId: string): Offer | undefined {
    return this.#offers.get(peerId)
  }

  /** Live offers, optionally only those of peers `reachable` says we can reach. */
  offers(now = Date.now(), reachable: (peerId: string) => boolean = () => true): Offer[] {
    return [...this.#offers.values()].filter((offer) => offer.expiresAt > now && reachable(offer.peerId))
  }

  /** Every live, reachable provider offering `model`. */
  candidates(model: string, now = Date.now(), reachable?: (peerId: string) => boolean): Candidate[] {
    const out: Candidate[] = []
    for (const offer of this.offers(now, reachable)) {
      const offered = offer.models.find((m) => m.id === model)
      if (offered) out.push({ offer, model: offered })
    }
    return out
  }

  /** Whether any provider has ever offered `model` (unknown models answer 404, known ones 503). */
  knowsModel(model: string): boolean {
    return this.#knownModels.has(model)
  }

  /** The catalog of `GET /v1/models`: one entry per model, aggregated over its live providers. */
  catalog(now = Date.now(), reachable?: (peerId: string) => boolean): CatalogModel[] {
    const byModel = new Map<string, ModelOffer[]>()
    for (const offer of this.offers(now, reachable)) {
      for (const model of offer.models) byModel.set(model.id, [...(byModel.get(model.id) ?? []), model])
    }
    const created = Math.floor(now / 1000)
    return [...byModel.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, offers]) => {
        const prompts = offers.map((m) => m.pricing.inputPerMTok).sort(compareBigint)
        const completions = offers.map((m) => m.pricing.outputPerMTok).sort(compareBigint)
        const cheapest = offers.reduce((best, m) => (price(m) < price(best) ? m : best))
        return {
          id,
          object: 'model' as const,
          created,
          owned_by: id.includes('/') ? id.split('/')[0]! : 'agora',
          context_length: Math.max(...offers.map((m) => m.contextLength)),
          pricing: { prompt: usdPerToken(cheapest.pricing.inputPerMTok), completion: usdPerToken(cheapest.pricing.outputPerMTok) },
          price_range: {
            prompt: { min: usdPerToken(prompts[0]!), max: usdPerToken(prompts.at(-1)!) },
            completion: { min: usdPerToken(completions[0]!), max: usdPerToken(completions.at(-1)!) },
          },
          providers: offers.length,
          quantizations: [...new Set(offers.flatMap((m) => (m.quantization ? [m.quantization] : [])))].sort(),
        }
      })
  }
}

/** The price selection compares: input plus output per million tokens. */
export function price(model: ModelOffer): bigint {
  return model.pricing.inputPerMTok + model.pricing.outputPerMTok
}


function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}
