import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { pino } from 'pino'
import { RouterConfig } from '../config.ts'
import { startRouter, type Router } from '../router.ts'
import { devAccount } from '../dev-account.ts'
import { createApp } from './app.ts'

let router: Router
let app: ReturnType<typeof createApp>
let key: string

beforeAll(async () => {
  router = await startRouter(RouterConfig.parse({ port: 0, dataDir: '', adminToken: 'admin-token-for-tests' }), { log: pino({ level: 'silent' }) })
  key = (await devAccount(router, { credits: 1_000_000n })).secret
  app = createApp({
    peer: router.peer,
    routing: router.routing,
    billing: router.billing,
    receipts: router.receipts,
    db: router.database.db,
    log: pino({ level: 'silent' }),
    adminToken: 'admin-token-for-tests',
    requestTimeoutMs: 1_000,
    holdGraceMs: 1_000,
  })
})

afterAll(async () => {
  await router?.stop()
})

/** `/v1/models/:model{.+}` → `/v1/models/{model}` */
const openApiPath = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')

describe('router app', () => {
  it('documents every route it serves in /openapi.json, and nothing it does not serve', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(document.openapi).toMatch(/^3\.1\./)
    const served = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`)
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).filter((m) => m !== 'parameters').map((method) => `${method} ${path}`))
    expect([...new Set(served)].sort()).toEqual(documented.sort())
  })

  it('answers /health without a key', async () => {
    const response = await app.request('/health')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'ok', peerId: router.peer.peerId.toString(), peers: 0, offers: 0 })
  })

  it('keeps /v1 behind a ledger key, with OpenAI-shaped 401s', async () => {
    const missing = await app.request('/v1/models')
    expect(missing.status).toBe(401)
    expect(await missing.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'missing_api_key' } })
    const wrong = await app.request('/v1/models', { headers: { authorization: 'Bearer sk-agora-wrong' } })
    expect(wrong.status).toBe(401)
    expect((await wrong.json()).error.code).toBe('invalid_api_key')
    const ok = await app.request('/v1/models', { headers: { authorization: `Bearer ${key}` } })
    expect(await ok.json()).toEqual({ object: 'list', data: [] })
  })

  it('keeps /api behind the admin token', async () => {
    expect((await app.request('/api/accounts/0x000000000000000000000000000000000000de0a')).status).toBe(401)
    expect((await app.request('/api/accounts/0x000000000000000000000000000000000000de0a', { headers: { authorization: `Bearer ${key}` } })).status).toBe(401)
    const ok = await app.request('/api/accounts/0x000000000000000000000000000000000000de0a', { headers: { authorization: 'Bearer admin-token-for-tests' } })
    expect(ok.status).toBe(200)
    expect((await ok.json()).credits.balance_micro_usd).toBe('1000000')
  })
})
