import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { pino } from 'pino'
import { createPeer, type MarketPeer } from '@agora/protocol'
import { OfferRegistry } from '../routing/registry.ts'
import { createApp } from './app.ts'

let peer: MarketPeer
let app: ReturnType<typeof createApp>
const key = 'sk-agora-test'

beforeAll(async () => {
  peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  app = createApp({ peer, registry: new OfferRegistry(), log: pino({ level: 'silent' }), apiKeys: [key], requestTimeoutMs: 1_000 })
})

afterAll(async () => {
  await peer?.stop()
})

/** `/v1/models/:model{.+}` → `/v1/models/{model}` */
const openApiPath = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')

describe('router app', () => {
  it('documents every route it serves in /openapi.json, and nothing it does not serve', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(document.openapi).toMatch(/^3\.1\./)
    const served = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`)
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`))
    expect(served.sort()).toEqual(documented.sort())
  })

  it('answers /health without a key', async () => {
    const response = await app.request('/health')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'ok', peerId: peer.peerId.toString(), peers: 0, offers: 0 })
  })

  it('keeps /v1 behind the key, with a constant-shape 401', async () => {
    const missing = await app.request('/v1/models')
    expect(missing.status).toBe(401)
    expect(await missing.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'missing_api_key' } })
    const wrong = await app.request('/v1/models', { headers: { authorization: 'Bearer sk-agora-wrong' } })
    expect(wrong.status).toBe(401)
    expect((await wrong.json()).error.code).toBe('invalid_api_key')
    const ok = await app.request('/v1/models', { headers: { authorization: `Bearer ${key}` } })
    expect(await ok.json()).toEqual({ object: 'list', data: [] })
  })
})
