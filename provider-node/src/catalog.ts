import { MAX_OFFER_MODELS, type ModelOfferInput } from '@agora/protocol'
import type { ProviderConfig } from './config.ts'
import type { EngineModel } from './engines/index.ts'

/** A model this node publishes, with its live in-flight count. */
export interface PublishedModel {
  id: string
  engineModel: string
  contextLength: number
  quantization?: string
  supportedParameters?: string[]
  pricing: { inputPerMTok: bigint; outputPerMTok: bigint }
  maxConcurrency: number
  inFlight: number
}

/**
 * The models the node publishes: the engine's models, filtered and renamed by config,
 * with prices and capacity. Holds in-flight counts so capacity is enforced in one place.
 */
export class Catalog {
  #models = new Map<string, PublishedModel>()
  /** Models left out of the offer because one offer may list at most `MAX_OFFER_MODELS`. */
  dropped = 0

  constructor(private readonly config: Pick<ProviderConfig, 'models' | 'defaults'>) {}

  /** Replaces the model set from what the engine reports now; returns whether it changed. */
  update(engineModels: EngineModel[]): boolean {
    const { models, defaults } = this.config
    const available = new Map(engineModels.map((m) => [m.id, m]))
    const wanted = models.length
      ? models.filter((m) => available.has(m.upstream ?? m.id))
      : engineModels.map((m) => ({ id: m.id }) as (typeof models)[number])
    this.dropped = Math.max(0, wanted.length - MAX_OFFER_MODELS)
    const next = new Map<string, PublishedModel>()
    for (const m of wanted.slice(0, MAX_OFFER_MODELS)) {
      const engineModel = m.upstream ?? m.id
      const reported = available.get(engineModel)
      // Config wins; otherwise what the engine knows of the model.
      const quantization = m.quantization ?? reported?.quantization
      const supportedParameters = m.supportedParameters ?? reported?.supportedParameters
      next.set(m.id, {
        id: m.id,
        engineModel,
        contextLength: m.contextLength ?? reported?.contextLength ?? defaults.contextLength,
        ...(quantization ? { quantization } : {}),
        ...(supportedParameters ? { supportedParameters } : {}),
        pricing: m.pricing ?? defaults.pricing,
        maxConcurrency: m.maxConcurrency ?? defaults.maxConcurrency,
        inFlight: this.#models.get(m.id)?.inFlight ?? 0,
      })
    }
    const changed = JSON.stringify([...next.keys()]) !== JSON.stringify([...this.#models.keys()])
    this.#models = next
    return changed
  }

  get(id: string): PublishedModel | undefined {
    return this.#models.get(id)
  }

  /** Takes one unit of capacity; false when the model is at its limit. */
  acquire(model: PublishedModel): boolean {
    if (model.inFlight >= model.maxConcurrency) return false
    model.inFlight++
    return true
  }

  release(model: PublishedModel): void {
    model.inFlight = Math.max(0, model.inFlight - 1)
  }

  /** The models as they go into an offer. */
  toOffer(): ModelOfferInput[] {
    return [...this.#models.values()].map((m) => ({
      id: m.id,
      contextLength: m.contextLength,
      ...(m.quantization ? { quantization: m.quantization } : {}),
      ...(m.supportedParameters ? { supportedParameters: m.supportedParameters } : {}),
      pricing: { inputPerMTok: m.pricing.inputPerMTok.toString(), outputPerMTok: m.pricing.outputPerMTok.toString() },
      maxConcurrency: m.maxConcurrency,
      inFlight: m.inFlight,
    }))
  }
}
