import { z } from 'zod'
import { createDevEngine } from './dev.ts'
import { createOpenAIEngine } from './openai.ts'
import type { Engine } from './engine.ts'

export type { Engine, EngineEvent, EngineModel, EngineRequest } from './engine.ts'

/** Engine settings as they appear in the provider config: one row per engine kind. */
export const EngineConfig = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('dev'),
    ttftMs: z.number().int().nonnegative().default(0),
    tokensPerSecond: z.number().nonnegative().default(0),
    embeddingDimensions: z.number().int().positive().max(8192).default(256),
  }),
  z.object({
    kind: z.literal('openai'),
    baseUrl: z.url(),
    apiKey: z.string().optional(),
    timeoutMs: z.number().int().positive().default(600_000),
  }),
])
export type EngineConfig = z.infer<typeof EngineConfig>

/** Builds the engine a config row describes. `devModels` names the models a dev engine serves. */
export function createEngine(config: EngineConfig, devModels: string[]): Engine {
  switch (config.kind) {
    case 'dev':
      return createDevEngine({ ...config, models: devModels.map((id) => ({ id })) })
    case 'openai':
      return createOpenAIEngine(config)
  }
}
