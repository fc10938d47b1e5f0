import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { readEvents } from '../fixtures/provider.ts'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'

/**
 * What a client sees when things go wrong, over real libp2p: providers that die before
 * the first byte or in the middle of a stream, clients that go away, and bad requests.
 */
let market: Marketplace

beforeAll(async () => {
  market = await startMarketplace({
    logLevel: 'error',
    providers: [{ name: 'steady', engine: { kind: 'dev' }, models: [{ id: 'dev/chat' }, { id: 'dev/embed' }] }],
  })
})

afterAll(async () => {
  await market?.stop()
})

function post(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${market.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${market.apiKey}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })
}

function expectEnvelope(body: unknown, type: string): void {
  expect(body).toMatchObject({ error: { message: expect.any(String), type, code: expect.any(String) } })
  expect(Object.keys((body as { error: object }).error).sort()).toEqual(['code', 'message', 'param', 'type'])
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at /)
}

describe('a provider that dies', () => {
  it('before the first byte: 502 in OpenAI shape, not a hang', async () => {
    const doomed = await market.addProvider({ name: 'doomed', engine: { kind: 'dev', ttftMs: 5_000 }, models: [{ id: 'dev/doomed-before' }] })
    const pending = post('/chat/completions', { model: 'dev/doomed-before', messages: [{ role: 'user', content: 'hi' }], stream: true })
    await waitFor(() => doomed.stats.requests === 1, 'the request to reach the provider')
    await doomed.stop()
    const response = await pending
    expect(response.status).toBe(502)
    expectEnvelope(await response.json(), 'provider_error')
  })

  it('in the middle of a stream: the stream ends with an SSE error event', async () => {
    const doomed = await market.addProvider({ name: 'doomed-mid', engine: { kind: 'dev', tokensPerSecond: 20 }, models: [{ id: 'dev/doomed-mid' }] })
    const response = await post('/chat/completions', { model: 'dev/doomed-mid', messages: [{ role: 'user', content: 'tell me a long story' }], stream: true })
    expect(response.status).toBe(200)
    let killed = false
    const events = await readEvents(response, () => {
      if (!killed) {
        killed = true
        void doomed.stop()
      }
    })
    const last = JSON.parse(events.at(-1)!)
    expectEnvelope(last, 'provider_error')
    expect(events).not.toContain('[DONE]')
    expect(events.slice(0, -1).every((data) => JSON.parse(data).object === 'chat.completion.chunk')).toBe(true)
  })
})

describe('a client that goes away', () => {
  it('stops generation on the provider', async () => {
    const slow = await market.addProvider({ name: 'slow', engine: { kind: 'dev', tokensPerSecond: 25 }, models: [{ id: 'dev/slow', contextLength: 8192 }] })
    const abort = new AbortController()
    const response = await post(
      '/chat/completions',
      { model: 'dev/slow', messages: [{ role: 'user', content: 'a long answer please' }], stream: true, max_tokens: 200 },
      { signal: abort.signal },
    )
    const reader = response.body!.getReader()
    await reader.read()
    await reader.read()
    abort.abort()
    await waitFor(() => slow.stats.aborted === 1, 'the provider to see the abort')
    const framesAtAbort = slow.stats.framesSent
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(slow.stats.framesSent).toBe(framesAtAbort)
    expect(slow.stats.succeeded).toBe(0)
    expect(framesAtAbort).toBeLessThan(20)
    await waitFor(() => market.router.routing.measurements.inFlight(slow.peerId, 'dev/slow') === 0, 'the router to forget the request')
  })
})

describe('bad requests get 400 with the OpenAI envelope, naming the param', () => {
  const cases: Array<[string, string, unknown, string | null]> = [
    ['/chat/completions', 'invalid JSON', '{"model": "dev/chat", ', null],
    ['/chat/completions', 'a body that is not an object', '[1, 2]', null],
    ['/chat/completions', 'missing messages', { model: 'dev/chat' }, 'messages'],
    ['/chat/completions', 'a message without role', { model: 'dev/chat', messages: [{ content: 'hi' }] }, 'messages[0].role'],
    ['/chat/completions', 'a non-boolean stream', { model: 'dev/chat', messages: [{ role: 'user', content: 'hi' }], stream: 'yes' }, 'stream'],
    ['/completions', 'missing prompt', { model: 'dev/chat' }, 'prompt'],
    ['/completions', 'missing model', { prompt: 'hi' }, 'model'],
    ['/embeddings', 'missing input', { model: 'dev/embed' }, 'input'],
    ['/embeddings', 'an input of the wrong type', { model: 'dev/embed', input: { text: 'hi' } }, 'input'],
  ]
  for (const [path, what, body, param] of cases) {
    it(`${path}: ${what}`, async () => {
      const response = await post(path, body)
      expect(response.status).toBe(400)
      const json = await response.json()
      expectEnvelope(json, 'invalid_request_error')
      if (param) expect(json.error.param).toBe(param)
    })
  }
})

describe('other errors', () => {
  it('401 without a key, and with a wrong one', async () => {
    for (const authorization of [undefined, 'Bearer sk-wrong', 'Basic Zm9vOmJhcg==']) {
      const response = await fetch(`${market.baseURL}/models`, { headers: authorization ? { authorization } : {} })
      expect(response.status).toBe(401)
      expectEnvelope(await response.json(), 'invalid_request_error')
    }
  })

  it('404 for an unknown route and an unknown model', async () => {
    const route = await fetch(`${market.baseURL}/nothing-here`, { headers: { authorization: `Bearer ${market.apiKey}` } })
    expect(route.status).toBe(404)
    expectEnvelope(await route.json(), 'invalid_request_error')
    const model = await post('/embeddings', { model: 'nobody/embed', input: 'hi' })
    expect(model.status).toBe(404)
    expect((await model.json()).error.code).toBe('model_not_found')
  })

  it('503 for a known model whose providers are all gone', async () => {
    const lonely = await market.addProvider({ name: 'lonely', engine: { kind: 'dev' }, models: [{ id: 'dev/lonely' }] })
    await lonely.stop()
    await waitFor(() => market.router.peer.getConnections(lonely.peer.peerId).length === 0, 'the connection to close')
    const response = await post('/chat/completions', { model: 'dev/lonely', messages: [{ role: 'user', content: 'hi' }] })
    expect(response.status).toBe(503)
    expectEnvelope(await response.json(), 'service_unavailable')
  })

  it('504 when the provider misses the deadline', async () => {
    const quick = await startMarketplace({
      requestTimeoutMs: 300,
      logLevel: 'error',
      providers: [{ name: 'sleepy', engine: { kind: 'dev', ttftMs: 5_000 }, models: [{ id: 'dev/sleepy' }] }],
    })
    try {
      const response = await fetch(`${quick.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${quick.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'dev/sleepy', messages: [{ role: 'user', content: 'hi' }] }),
      })
      expect(response.status).toBe(504)
      expectEnvelope(await response.json(), 'timeout_error')
    } finally {
      await quick.stop()
    }
  })
})
