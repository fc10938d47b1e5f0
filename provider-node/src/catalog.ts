import { MAX_OFFER_MODELS, type ModelOfferInput } from '@agora/protocol'
import { Capacity } from './capacity.ts'
import type { ProviderConfig } from './config.ts'
import type { EngineModel } from './engines/index.ts'

/** A model this node publishes, with the admission that guards it. */
export interface PublishedModel {
  id: string
  engineModel: string
  contextLength: number
  quantization?: string
  supportedParameters?: string[]
  pricing: { inputPerMTok: bigint; outputPerMTok: bigint }
  capacity: Capacity
}

export type CatalogConfig = Pick<ProviderConfig, 'models' | 'defaults' | 'queueTimeoutMs'>

/**
 * The models the node publishes: the engine's models, filtered and renamed by config,
 * with prices and capacity. A model keeps its `Capacity` while it comes and goes with the
 * engine's health, so requests still running on it are counted right.
 */
export class Catalog {
  #models = new Map<string, PublishedModel>()
  readonly #capacities = new Map<string, Capacity>()
  #draining = false
  /** Models left out of the offer because one offer may list at most `MAX_OFFER_MODELS`. */
  dropped = 0

  constructor(
    private readonly config: CatalogConfig,
    /** Hears every change of a model's running or queued count. */
    private readonly onLoadChange: () => void = () => {},
  ) {}

  /** Replaces the model set from what the engine reports now; returns whether it changed. */
  update(engineModels: EngineModel[]): boolean {
    const { models, defaults } = this.config
    const available = new Map(engineModels.map((m) => [m.id, m]))
    const wanted = models.length ? models.filter((m) => available.has(m.upstream ?? m.id)) : engineModels.map((m): (typeof models)[number] => ({ id: m.id }))
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
        capacity: this.#capacity(m.id, { maxConcurrency: m.maxConcurrency ?? defaults.maxConcurrency, maxQueue: m.maxQueue ?? defaults.maxQueue }),
      })
    }
    const changed = JSON.stringify([...next.keys()]) !== JSON.stringify([...this.#models.keys()])
    this.#models = next
    return changed
  }

  get(id: string): PublishedModel | undefined {
    return this.#models.get(id)
  }

  /** The published models, in offer order. */
  list(): PublishedModel[] {
    return [...this.#models.values()]
  }

  /** Requests running or queued on any model, published now or not. */
  get active(): number {
    let count = 0
    for (const capacity of this.#capacities.values()) count += capacity.running + capacity.waiting
    return count
  }

  /** Every model's admission, published now or not (metrics read queue depths from it). */
  capacities(): ReadonlyMap<string, Capacity> {
    return this.#capacities
  }

  /** The node is shutting down: the offer lists no model, queued and new requests are answered busy. */
  drain(): void {
    this.#draining = true
    for (const capacity of this.#capacities.values()) capacity.close()
  }

  get draining(): boolean {
    return this.#draining
  }

  /**
   * The models as they go into an offer. `maxConcurrency` is what the node takes at once
   * (running plus queued) and `inFlight` what it holds now, so their difference is the free
   * capacity; a draining node offers nothing.
   */
  toOffer(): ModelOfferInput[] {
    if (this.#draining) return []
    return this.list().map((m) => ({
      id: m.id,
      contextLength: m.contextLength,
      ...(m.quantization ? { quantization: m.quantization } : {}),
      ...(m.supportedParameters ? { supportedParameters: m.supportedParameters } : {}),
      pricing: { inputPerMTok: m.pricing.inputPerMTok.toString(), outputPerMTok: m.pricing.outputPerMTok.toString() },
      maxConcurrency: m.capacity.accepted,
      inFlight: m.capacity.running + m.capacity.waiting,
    }))
  }

  #capacity(id: string, limits: { maxConcurrency: number; maxQueue: number }): Capacity {
    let capacity = this.#capacities.get(id)
    if (!capacity) {
      capacity = new Capacity({ ...limits, queueTimeoutMs: this.config.queueTimeoutMs }, this.onLoadChange)
      if (this.#draining) capacity.close()
      this.#capacities.set(id, capacity)
    }
    return capacity
  }
}
