import type { InferKind, Usage } from '@agora/protocol'

/**
 * What the router itself can vouch for, so a provider cannot bill more than it delivered.
 *
 * Tokenizers used by open models (BPE, SentencePiece) never produce a text token shorter
 * than one byte, so the UTF-8 bytes of generated text bound its tokens from above. Special
 * tokens (end of sequence, template markers) carry no text, hence a small allowance per
 * request. Prompt tokens are bounded the same way by the bytes of the request's JSON
 * (messages, tools, prompt or input), whose quoting and field names cover the tokens a
 * chat template adds per message.
 */
export const SPECIAL_TOKEN_ALLOWANCE = 4

const encoder = new TextEncoder()
const bytes = (text: string) => encoder.encode(text).byteLength

/** Fields of a delta or message that carry no generated text. */
const NOT_GENERATED = new Set(['role', 'id', 'type', 'index', 'finish_reason', 'logprobs'])

/** UTF-8 bytes of generated text in one chunk or result: content, reasoning, refusals, tool names and arguments. */
export function generatedBytes(kind: InferKind, data: Record<string, unknown>): number {
  if (kind === 'embeddings') return 0
  const choices = Array.isArray(data.choices) ? (data.choices as Array<Record<string, unknown>>) : []
  let total = 0
  for (const choice of choices) {
    if (kind === 'completions') total += typeof choice.text === 'string' ? bytes(choice.text) : 0
    else total += textBytes(choice.delta ?? choice.message)
  }
  return total
}

function textBytes(value: unknown): number {
  if (typeof value === 'string') return bytes(value)
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + textBytes(item), 0)
  if (value && typeof value === 'object') {
    let sum = 0
    for (const [key, inner] of Object.entries(value)) if (!NOT_GENERATED.has(key)) sum += textBytes(inner)
    return sum
  }
  return 0
}

/** Upper bound on the prompt tokens of a request body. */
export function promptTokenBound(kind: InferKind, body: Record<string, unknown>): number {
  const parts = kind === 'chat.completions' ? [body.messages, body.tools] : kind === 'completions' ? [body.prompt] : [body.input]
  return parts.reduce((sum: number, part) => sum + (part === undefined ? 0 : bytes(JSON.stringify(part))), 0) + SPECIAL_TOKEN_ALLOWANCE
}

/** Usage to bill: what the provider reported, never above what the router can vouch for. */
export interface BilledUsage {
  promptTokens: number
  completionTokens: number
  /** Whether the provider's report was cut down to the router's bound. */
  clamped: boolean
}

/**
 * Bounds a provider's reported usage by the router's own count. With no report at all
 * (the provider failed mid-stream) it bills the bound of what was delivered.
 */
export function billableUsage(
  reported: Usage | undefined,
  bound: { promptTokens: number; completionBytes: number; completionChunks?: number | undefined; maxTokens?: number | undefined },
): BilledUsage {
  const completionCap = Math.min(bound.completionBytes + SPECIAL_TOKEN_ALLOWANCE, bound.maxTokens ?? Infinity)
  if (!reported) {
    // Nothing reported (the stream broke): servers stream about a token per chunk, so count the chunks that
    // carried text (never more than the bytes allow); the prompt at four bytes a token, the usual rule of thumb.
    const delivered = bound.completionChunks ?? Math.ceil(bound.completionBytes / 4)
    return { promptTokens: Math.ceil(bound.promptTokens / 4), completionTokens: Math.min(completionCap, delivered), clamped: false }
  }
  const promptTokens = Math.min(reported.prompt_tokens, bound.promptTokens)
  const completionTokens = Math.min(reported.completion_tokens, completionCap)
  return { promptTokens, completionTokens, clamped: promptTokens < reported.prompt_tokens || completionTokens < reported.completion_tokens }
}
