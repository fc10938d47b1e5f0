import type { InferKind, Usage } from '@agora/protocol'

/** A model as an engine knows it. */
export interface EngineModel {
  /** The engine's own model id (the upstream's name, a GGUF file, a dev model name). */
  id: string
  /** Context length the engine reports, when it reports one. */
  contextLength?: number
  /** Quantization the engine knows the model to have (a GGUF file type), when it knows. */
  quantization?: string
  /** Request parameters the engine honours for this model, when it knows them. */
  supportedParameters?: string[]
}

/** One inference request handed to an engine, with `body.model` already set to the engine's id. */
export interface EngineRequest {
  kind: InferKind
  body: Record<string, unknown>
  stream: boolean
}

/**
 * What an engine yields while it works: streamed `chunk`s or one `result`, and `usage`
 * once it is known. OpenAI-shaped objects throughout.
 */
export type EngineEvent =
  | { type: 'chunk'; data: Record<string, unknown> }
  | { type: 'result'; data: Record<string, unknown> }
  | { type: 'usage'; usage: Usage }

/**
 * The one interface every engine kind implements. An engine turns OpenAI requests into
 * OpenAI responses; everything about the marketplace (offers, capacity, frames) lives
 * outside it. Errors it throws should be `MarketError`s with the status a client should see.
 */
export interface Engine {
  readonly kind: string
  /** The models the engine can serve now; a failure means the engine is unhealthy. */
  models(signal?: AbortSignal): Promise<EngineModel[]>
  /** Runs one request; stops promptly when `signal` aborts. */
  run(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineEvent>
  close?(): Promise<void>
}
