import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Usage } from '@agora/protocol'
import type { Catalog } from './catalog.ts'
import { createStats, type ProviderStats } from './stats.ts'

export interface ProviderMetricsParameters {
  /** The engine kind, a label of every series. */
  engine: string
  catalog: Catalog
  /** Routers connected now. */
  routerConnections: () => number
  /** Also export Node's process metrics (CPU, memory, event loop): only worth it when something scrapes them. */
  processMetrics?: boolean
}

/** The outcome of one request, a label of `agora_provider_requests_total`. */
export type RequestOutcome = 'succeeded' | 'failed' | 'aborted' | 'busy'

/** Label of requests for a model the node does not publish: never the client's string, which would let anyone add series. */
const UNKNOWN_MODEL = '(unknown)'

/**
 * What the node has done, in two forms from one set of calls: plain counters (`stats`) for
 * `provider-node status` and tests, and Prometheus series (`registry`) for `/metrics`,
 * labelled by engine and model.
 */
export class ProviderMetrics {
  readonly stats: ProviderStats = createStats()
  readonly registry = new Registry()
  readonly #engine: string
  readonly #requests: Counter<'engine' | 'model' | 'outcome'>
  readonly #tokens: Counter<'engine' | 'model' | 'type'>
  readonly #errors: Counter<'engine' | 'model' | 'code'>
  readonly #ttft: Histogram<'engine' | 'model'>
  readonly #duration: Histogram<'engine' | 'model'>

  constructor({ engine, catalog, routerConnections, processMetrics = false }: ProviderMetricsParameters) {
    this.#engine = engine
    const registers = [this.registry]
    const labelNames = ['engine', 'model'] as const
    this.#requests = new Counter({ name: 'agora_provider_requests_total', help: 'Inference requests by outcome', labelNames: [...labelNames, 'outcome'], registers })
    this.#tokens = new Counter({ name: 'agora_provider_tokens_total', help: 'Tokens served, by type (prompt or completion)', labelNames: [...labelNames, 'type'], registers })
    this.#errors = new Counter({ name: 'agora_provider_errors_total', help: 'Failed requests by error code', labelNames: [...labelNames, 'code'], registers })
    const buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]
    this.#ttft = new Histogram({
      name: 'agora_provider_time_to_first_token_seconds',
      help: 'From the request frame to the first response frame, queue wait included',
      labelNames,
      buckets,
      registers,
    })
    this.#duration = new Histogram({ name: 'agora_provider_request_duration_seconds', help: 'From the request frame to the end frame', labelNames, buckets: [...buckets, 120, 300], registers })
    const engineLabel = engine
    new Gauge({
      name: 'agora_provider_queue_depth',
      help: 'Requests waiting for a free slot',
      labelNames,
      registers,
      collect() {
        for (const [model, capacity] of catalog.capacities()) this.set({ engine: engineLabel, model }, capacity.waiting)
      },
    })
    new Gauge({
      name: 'agora_provider_in_flight',
      help: 'Requests running on the engine',
      labelNames,
      registers,
      collect() {
        for (const [model, capacity] of catalog.capacities()) this.set({ engine: engineLabel, model }, capacity.running)
      },
    })
    new Gauge({
      name: 'agora_provider_offered_models',
      help: 'Models in the current offer',
      registers,
      collect() {
        this.set(catalog.toOffer().length)
      },
    })
    new Gauge({
      name: 'agora_provider_router_connections',
      help: 'Routers connected now',
      registers,
      collect() {
        this.set(routerConnections())
      },
    })
    if (processMetrics) collectDefaultMetrics({ register: this.registry })
  }

  /** A request frame arrived. */
  received(): void {
    this.stats.requests++
  }

  /** A frame went to a router. */
  frameSent(): void {
    this.stats.framesSent++
  }

  /** The first response frame of a request went out, `seconds` after its request frame. */
  firstFrame(model: string, seconds: number): void {
    this.#ttft.observe(this.#labels(model), seconds)
  }

  /** The request was turned away because the model is at capacity (or the node drains). */
  busy(model: string): void {
    this.stats.busy++
    this.#requests.inc({ ...this.#labels(model), outcome: 'busy' })
  }

  /** The request completed with `usage`, `seconds` after its request frame. */
  succeeded(model: string, usage: Usage, seconds: number): void {
    this.stats.succeeded++
    this.stats.promptTokens += usage.prompt_tokens
    this.stats.completionTokens += usage.completion_tokens
    const labels = this.#labels(model)
    this.#requests.inc({ ...labels, outcome: 'succeeded' })
    this.#tokens.inc({ ...labels, type: 'prompt' }, usage.prompt_tokens)
    this.#tokens.inc({ ...labels, type: 'completion' }, usage.completion_tokens)
    this.#duration.observe(labels, seconds)
  }

  /** The request failed with the error `code`; `model` is undefined when the node does not publish it. */
  failed(model: string | undefined, code: string): void {
    this.stats.failed++
    const labels = this.#labels(model ?? UNKNOWN_MODEL)
    this.#requests.inc({ ...labels, outcome: 'failed' })
    this.#errors.inc({ ...labels, code })
  }

  /** The router closed the stream before the end (its client went away). */
  aborted(model: string): void {
    this.stats.aborted++
    this.#requests.inc({ ...this.#labels(model), outcome: 'aborted' })
  }

  #labels(model: string): { engine: string; model: string } {
    return { engine: this.#engine, model }
  }
}
