import type { SimConfig } from './config.ts'
import { exponential, integer, logNormal, substream, weightedIndex } from './distributions.ts'

/** One simulated chat completion, streamed. */
export interface SimRequest {
  index: number
  /** Arrival, in virtual ms after the start. */
  at: number
  model: string
  promptTokens: number
  maxTokens: number
  /** Tokens the answer will have, wherever it runs. */
  outputTokens: number
  /** Conversation turns share a session id. */
  sessionId: string | undefined
  /** Prompt tokens a provider that served the previous turn has cached (that turn's prompt and answer). */
  cachedTokens: number
}

/** Popularity of the models: the first is asked for most, as on any marketplace. */
const POPULARITY_EXPONENT = 0.8
const MAX_TOKENS = [256, 512, 1024, 2048]
/** A conversation has 1 + a geometric number of further turns, this many on average. */
const MEAN_FURTHER_TURNS = 4
/** Time between two turns of a conversation, on average: the answer is read, the next question typed. */
const MEAN_THINK_MS = 30_000
const MAX_PROMPT_TOKENS = 16_000

/**
 * The requests of a run, in order of arrival: a Poisson process of single requests and
 * conversations (which add later turns under one session id, their prompts growing by the
 * previous answer), models by Zipf-like popularity, log-normal prompt and answer sizes.
 * The same for every policy.
 * @example
 * const requests = drawWorkload(config, market.models)
 */
export function drawWorkload({ requests: count, ratePerSecond, conversationShare, seed }: SimConfig, models: string[]): SimRequest[] {
  const rng = substream(seed, 2)
  const popularity = models.map((_, i) => 1 / (i + 1) ** POPULARITY_EXPONENT)
  // Each start brings its further turns, so starts are rarer than requests.
  const startsPerMs = ratePerSecond / 1000 / (1 + conversationShare * MEAN_FURTHER_TURNS)
  const drawn: Omit<SimRequest, 'index'>[] = []
  let time = 0
  let conversations = 0
  // Later turns land after their start, so once `count` are drawn, starts continue until
  // the `count`-th earliest arrival: none drawn after it could be among the first `count`.
  let horizon = Infinity
  while (time < horizon) {
    time += exponential(rng, 1 / startsPerMs)
    const model = models[weightedIndex(rng, popularity)]!
    const maxTokens = MAX_TOKENS[integer(rng, 0, MAX_TOKENS.length - 1)]!
    let promptTokens = Math.min(MAX_PROMPT_TOKENS, Math.ceil(logNormal(rng, 400, 1)))
    const answer = () => Math.min(maxTokens, Math.ceil(logNormal(rng, 180, 0.8)))
    if (rng() < conversationShare) {
      const sessionId = `conversation-${conversations++}`
      let at = time
      let cachedTokens = 0
      do {
        const outputTokens = answer()
        drawn.push({ at, model, promptTokens, maxTokens, outputTokens, sessionId, cachedTokens })
        cachedTokens = Math.min(MAX_PROMPT_TOKENS, promptTokens + outputTokens)
        promptTokens = Math.min(MAX_PROMPT_TOKENS, cachedTokens + Math.ceil(logNormal(rng, 60, 0.8)))
        at += exponential(rng, MEAN_THINK_MS)
      } while (rng() < MEAN_FURTHER_TURNS / (1 + MEAN_FURTHER_TURNS))
    } else {
      drawn.push({ at: time, model, promptTokens, maxTokens, outputTokens: answer(), sessionId: undefined, cachedTokens: 0 })
    }
    if (horizon === Infinity && drawn.length >= count) horizon = drawn.map((r) => r.at).sort((a, b) => a - b)[count - 1]!
  }
  return drawn
    .sort((a, b) => a.at - b.at)
    .slice(0, count)
    .map((request, index) => ({ ...request, index }))
}
