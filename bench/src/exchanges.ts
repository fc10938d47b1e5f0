import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { z } from 'zod'
import type { Exchange } from './load.ts'

/** An OpenAI-compatible endpoint as the load generator sees it: a connection pool and a `/v1` prefix. */
export interface Target {
  pool: Pool
  /** Path of the base URL, e.g. `/v1`. */
  basePath: string
  headers: Record<string, string>
}

/**
 * A target with `connections` keep-alive sockets to `baseURL`, one per concurrent client
 * so no request waits in the pool's queue.
 * @example
 * const target = openTarget('http://127.0.0.1:8080/v1', apiKey, 64)
 */
export function openTarget(baseURL: string, apiKey: string | undefined, connections: number): Target {
  const url = new URL(baseURL)
  return {
    pool: new Pool(url.origin, { connections, pipelining: 1 }),
    basePath: url.pathname.replace(/\/+$/, ''),
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
  }
}

/** The body of a small chat completion request for `model`, streamed or not. */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: 'Say something short.' }], ...(stream ? { stream: true } : {}) })
}

const micros = (since: number) => (performance.now() - since) * 1000

async function post(target: Target, body: string) {
  return target.pool.request({ method: 'POST', path: `${target.basePath}/chat/completions`, headers: target.headers, body })
}

/** A non-streamed chat completion; measures the time until the whole response body has arrived. */
export function chatExchange(target: Target, body: string): Exchange {
  return async () => {
    const started = performance.now()
    const response = await post(target, body)
    const text = await response.body.text()
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`)
    return micros(started)
  }
}

// The first event with a non-empty `delta.content`; the role-only first chunk has `"content":""`.
const FIRST_CONTENT = /"content":"[^"]/
const STREAM_END = 'data: [DONE]\n\n'

/**
 * A streamed chat completion; measures the time to the first token, the first SSE event
 * with content. Reads the stream to its end and fails unless it ends with `[DONE]`.
 */
export function streamExchange(target: Target, body: string): Exchange {
  return async () => {
    const started = performance.now()
    const response = await post(target, body)
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`)
    const decoder = new TextDecoder()
    let firstToken: number | undefined
    // Everything until the first token; after it, only a tail long enough to find `[DONE]`.
    let seen = ''
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      seen = (firstToken === undefined ? seen : seen.slice(-STREAM_END.length)) + decoder.decode(chunk, { stream: true })
      if (firstToken === undefined && FIRST_CONTENT.test(seen)) firstToken = micros(started)
    }
    if (firstToken === undefined) throw new Error('the stream carried no content')
    if (!seen.endsWith(STREAM_END)) throw new Error(`the stream did not end with [DONE]: …${seen.slice(-300)}`)
    return firstToken
  }
}

const ChatCompletion = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1) })

/**
 * Sends one chat completion and returns the assistant's text, failing on anything but a
 * 200 with a well-formed body: a check that a path works before it is measured.
 */
export async function completionText(target: Target, body: string): Promise<string> {
  const response = await post(target, body)
  const text = await response.body.text()
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`)
  return ChatCompletion.parse(JSON.parse(text)).choices[0]!.message.content
}
