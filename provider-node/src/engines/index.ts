import { basename } from 'node:path'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { ProviderConfig } from '../config.ts'
import { createDevEngine } from './dev.ts'
import { createOpenAIEngine } from './openai.ts'
import type { Engine } from './engine.ts'

export type { Engine, EngineEvent, EngineModel, EngineRequest } from './engine.ts'

/** Engine settings as they appear in the provider config: one row per engine kind. */
export const EngineConfig = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('dev'),
    ttftMs: z.number().int().nonnegative().default(0),
    tokensPerSecond: z.number().nonnegative().default(0),
    embeddingDimensions: z.number().int().positive().max(8192).default(256),
  }),
  z.strictObject({
    kind: z.literal('openai'),
    baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, including /v1' }),
    apiKey: z.string().optional(),
    timeoutMs: z.number().int().positive().default(600_000),
  }),
  z.strictObject({
    kind: z.literal('llama-cpp'),
    /** Path of the GGUF file. */
    modelPath: z.string().min(1),
    /** The engine's name for the model (publish it under another id with `models[].upstream`); default: the file name without `.gguf`. */
    model: z.string().min(1).max(256).optional(),
    /** Layers offloaded to a GPU: `auto` (what fits), `max`, or a count; 0 runs on the CPU only. */
    gpuLayers: z.union([z.enum(['auto', 'max']), z.number().int().nonnegative()]).default('auto'),
    /** Context tokens per concurrent request; default: what memory allows, up to the model's training context. */
    contextSize: z.number().int().positive().optional(),
    /** CPU threads; default: node-llama-cpp's choice (the machine's cores). */
    threads: z.number().int().positive().optional(),
  }),
])
export type EngineConfig = z.infer<typeof EngineConfig>

/**
 * Builds the engine `config.engine` describes. A dev engine serves the configured models; a
 * llama-cpp engine loads its model (and node-llama-cpp, only then) with one sequence per
 * request the model runs at once. A setup that cannot work is a `ConfigError`.
 */
export async function createEngine(config: Pick<ProviderConfig, 'engine' | 'models' | 'defaults'>, log?: Logger): Promise<Engine> {
  const { engine } = config
  switch (engine.kind) {
    case 'dev':
      return createDevEngine({ ...engine, models: config.models.map((m) => ({ id: m.upstream ?? m.id })) })
    case 'openai':
      return createOpenAIEngine(engine)
    case 'llama-cpp': {
      // Imported here, not at the top: it needs config.ts, which imports this module for `EngineConfig`.
      const { createLlamaCppEngine } = await import('./llama-cpp.ts')
      const model = engine.model ?? basename(engine.modelPath).replace(/\.gguf$/i, '')
      const published = config.models.find((m) => (m.upstream ?? m.id) === model)
      const sequences = published?.maxConcurrency ?? config.defaults.maxConcurrency
      return createLlamaCppEngine({ ...engine, model, sequences, ...(log ? { log } : {}) })
    }
  }
}
