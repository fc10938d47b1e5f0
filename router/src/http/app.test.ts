import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it, expect, vi } from 'vitest'
import { pino } from 'pino'
import { RouterConfig } from '../config.ts'
import { startRouter, type Router } from '../router.ts'
import { devAccount } from '../dev-account.ts'
import { AccountSettingsCache } from '../settings/account-settings.ts'
import { createApp } from './app.ts'

// Embedded PGlite takes a while to start on a busy machine.
vi.setConfig({ hookTimeout: 120_000 })

let router: Router
let app: ReturnType<typeof createApp>
let key: string
let consoleDir: string

beforeAll(async () => {
  router = await startRouter(RouterConfig.parse({ port: 0, dataDir: '', adminToken: 'admin-token-for-tests' }), { log: pino({ level: 'silent' }) })
  key = (await devAccount(router, { credits: 1_000_000n })).secret
  consoleDir = await mkdtemp(join(tmpdir(), 'agora-console-'))
  app = createApp({
    peer: router.peer,
    routing: router.routing,
    billing: router.billing,
    receipts: router.receipts,
    accountSettings: new AccountSettingsCache({ db: router.database.db }),
    db: router.database.db,
    log: pino({ level: 'silent' }),
    adminToken: 'admin-token-for-tests',
    signIn: { origins: [], chainId: 31337, sessionTtlMs: 60_000 },
    consoleDir,
    chain: { chainId: 31337, escrow: '0x5FbDB2315678afecb367f032d93F642f64180aa3', token: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', confirmations: 2 },
    requestTimeoutMs: 1_000,
    holdGraceMs: 1_000,
  })
})

afterAll(async () => {
  await router?.stop()
  if (consoleDir) await rm(consoleDir, { recursive: true, force: true })
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

  it('serves the console build at /console/, its routes as the app, and says how to build it when there is none', async () => {
    const notBuilt = await app.request('/console/keys')
    expect(notBuilt.status).toBe(503)
    expect(await notBuilt.text()).toContain('npm run -w @agora/console build')

    await mkdir(join(consoleDir, 'assets'))
    await writeFile(join(consoleDir, 'index.html'), '<!doctype html><div id="root"></div>')
    await writeFile(join(consoleDir, 'assets', 'app-1234.js'), 'console.log(1)')
    expect((await app.request('/')).headers.get('location')).toBe('/console/')
    expect((await app.request('/console')).headers.get('location')).toBe('/console/')
    for (const path of ['/console/', '/console/keys', '/console/usage/filters']) {
      const page = await app.request(path)
      expect(page.status, path).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      expect(page.headers.get('cache-control')).toBe('no-cache')
      expect(await page.text()).toContain('id="root"')
    }
    const asset = await app.request('/console/assets/app-1234.js')
    expect(asset.headers.get('content-type')).toMatch(/javascript/)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    expect((await app.request('/console/assets/missing.js')).status).toBe(404)
    expect((await app.request('/console/../package.json')).status).toBe(404)
  })

  it('keeps /api behind the admin token', async () => {
    expect((await app.request('/api/accounts/0x000000000000000000000000000000000000de0a')).status).toBe(401)
    expect((await app.request('/api/accounts/0x000000000000000000000000000000000000de0a', { headers: { authorization: `Bearer ${key}` } })).status).toBe(401)
    const ok = await app.request('/api/accounts/0x000000000000000000000000000000000000de0a', { headers: { authorization: 'Bearer admin-token-for-tests' } })
    expect(ok.status).toBe(200)
    expect((await ok.json()).credits.balance_micro_usd).toBe('1000000')
  })

  it('tells the console where the escrow is, and nothing secret', async () => {
    const response = await app.request('/api/chain', { headers: { authorization: 'Bearer admin-token-for-tests' } })
    expect(await response.json()).toEqual({ chain_id: 31337, escrow: '0x5FbDB2315678afecb367f032d93F642f64180aa3', token: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', confirmations: 2 })
  })
})
