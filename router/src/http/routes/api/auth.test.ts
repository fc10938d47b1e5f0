import { afterAll, beforeAll, describe, it, expect, vi } from 'vitest'
import { pino } from 'pino'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { createSiweMessage } from 'viem/siwe'
import { RouterConfig } from '../../../config.ts'
import { createKey } from '../../../db/queries/keys.ts'
import { createSession } from '../../../db/queries/sessions.ts'
import { ensureAccount } from '../../../db/queries/accounts.ts'
import { hashSessionId, newSessionId } from '../../../auth/sessions.ts'
import { randomAddress, testDrivers, useTestDatabase } from '../../../db/testing.ts'
import { startRouter, type Router } from '../../../router.ts'
import { AccountSettingsCache } from '../../../settings/account-settings.ts'
import { createApp } from '../../app.ts'
import { openApiDocument } from '../../openapi.ts'

// Embedded PGlite takes a while to start on a busy machine.
vi.setConfig({ hookTimeout: 120_000 })

const ADMIN = 'admin-token-for-sign-in-tests'
const CHAIN_ID = 31337

interface MessageOverrides {
  domain?: string
  uri?: string
  chainId?: number
  nonce?: string
  expirationTime?: Date
}

describe.each(await testDrivers())('wallet sign-in and sessions on %s', (driver) => {
  const test = useTestDatabase(driver)
  let router: Router
  let app: ReturnType<typeof createApp>

  beforeAll(async () => {
    router = await startRouter(RouterConfig.parse({ port: 0, dataDir: '', adminToken: ADMIN }), {
      log: pino({ level: 'silent' }),
      database: { db: test.db, kind: driver, close: async () => {} },
    })
    app = createApp({
      peer: router.peer,
      routing: router.routing,
      billing: router.billing,
      receipts: router.receipts,
      accountSettings: new AccountSettingsCache({ db: test.db }),
      db: test.db,
      log: pino({ level: 'silent' }),
      adminToken: ADMIN,
      signIn: { origins: [], chainId: CHAIN_ID, sessionTtlMs: 3_600_000 },
      consoleDir: '/nonexistent',
      chain: undefined,
      requestTimeoutMs: 1_000,
      holdGraceMs: 1_000,
    })
  })

  afterAll(async () => {
    await router?.stop()
  })

  async function nonce(): Promise<string> {
    const response = await app.request('/api/auth/nonce', { method: 'POST' })
    expect(response.status).toBe(201)
    const body = (await response.json()) as { nonce: string; chain_id: number; statement: string }
    expect(body.chain_id).toBe(CHAIN_ID)
    return body.nonce
  }

  /** A signed sign-in for `wallet` as the console at http://localhost would make it. */
  async function signedMessage(wallet: PrivateKeyAccount, overrides: MessageOverrides = {}) {
    const message = createSiweMessage({
      domain: 'localhost',
      address: wallet.address,
      statement: 'Sign in to the Agora console.',
      uri: 'http://localhost/console/',
      version: '1',
      chainId: CHAIN_ID,
      nonce: overrides.nonce ?? (await nonce()),
      issuedAt: new Date(),
      ...overrides,
    })
    return { message, signature: await wallet.signMessage({ message }) }
  }

  function verify(body: { message: string; signature: string }, url = 'http://localhost/api/auth/verify', headers: Record<string, string> = {}) {
    return app.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  }

  /** Signs `wallet` in and returns its session cookie (`agora_session=…`). */
  async function signIn(wallet: PrivateKeyAccount): Promise<string> {
    const response = await verify(await signedMessage(wallet))
    expect(response.status).toBe(200)
    return response.headers.get('set-cookie')!.split(';')[0]!
  }

  const asSession = (cookie: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), cookie } })

  it('signs a wallet in: creates its account, sets an httpOnly SameSite=Strict cookie, and the session reads it back', async () => {
    const wallet = privateKeyToAccount(generatePrivateKey())
    const response = await verify(await signedMessage(wallet))
    expect(response.status).toBe(200)
    const session = (await response.json()) as { address: string; account_id: string; expires_at: string }
    expect(session.address).toBe(wallet.address.toLowerCase())
    const cookie = response.headers.get('set-cookie')!
    expect(cookie).toMatch(/^agora_session=[A-Za-z0-9_-]{43}; /)
    expect(cookie).toContain('Path=/api')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).not.toContain('Secure')
    const expires = new Date(/Expires=([^;]+)/.exec(cookie)![1]!).getTime()
    expect(Math.abs(expires - Date.parse(session.expires_at))).toBeLessThan(1_000)
    expect(expires - Date.now()).toBeGreaterThan(3_500_000)

    const current = await app.request('/api/auth/session', asSession(cookie.split(';')[0]!))
    expect(await current.json()).toEqual(session)
    const account = await app.request(`/api/accounts/${wallet.address}`, asSession(cookie.split(';')[0]!))
    expect(account.status).toBe(200)
    expect(await account.json()).toMatchObject({ id: session.account_id, address: session.address, balance_micro_usd: '0' })
  })

  it('marks the cookie Secure when the console is served over https', async () => {
    const wallet = privateKeyToAccount(generatePrivateKey())
    const overHttps = await verify(await signedMessage(wallet, { uri: 'https://localhost/console/' }), 'https://localhost/api/auth/verify')
    expect(overHttps.status).toBe(200)
    expect(overHttps.headers.get('set-cookie')).toContain('Secure')
    const behindProxy = await verify(await signedMessage(wallet, { uri: 'https://localhost/console/' }), undefined, { 'x-forwarded-proto': 'https' })
    expect(behindProxy.status).toBe(200)
    expect(behindProxy.headers.get('set-cookie')).toContain('Secure')
  })

  it('uses a nonce once: a replayed sign-in and a nonce the router never issued are refused', async () => {
    const wallet = privateKeyToAccount(generatePrivateKey())
    const signed = await signedMessage(wallet)
    expect((await verify(signed)).status).toBe(200)
    const replay = await verify(signed)
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ error: { code: 'invalid_sign_in', message: expect.stringContaining('nonce') } })
    const madeUp = await verify(await signedMessage(wallet, { nonce: 'abcdefgh12345678' }))
    expect(madeUp.status).toBe(401)
  })

  it('refuses a message for another domain, URI or chain, an expired one, and one signed by someone else, without using up its nonce', async () => {
    const wallet = privateKeyToAccount(generatePrivateKey())
    const cases: Array<[MessageOverrides, RegExp]> = [
      [{ domain: 'evil.example' }, /evil\.example/],
      [{ uri: 'http://evil.example/console/' }, /URI/],
      [{ chainId: 1 }, /chain 1/],
      [{ expirationTime: new Date(Date.now() - 1_000) }, /not valid now/],
    ]
    for (const [overrides, reason] of cases) {
      const response = await verify(await signedMessage(wallet, overrides))
      expect(response.status, JSON.stringify(overrides)).toBe(401)
      const { error } = (await response.json()) as { error: { code: string; message: string } }
      expect(error.code).toBe('invalid_sign_in')
      expect(error.message).toMatch(reason)
    }
    const stranger = privateKeyToAccount(generatePrivateKey())
    const signed = await signedMessage(wallet)
    const forged = await verify({ message: signed.message, signature: await stranger.signMessage({ message: signed.message }) })
    expect(forged.status).toBe(401)
    expect((await forged.json()).error.message).toMatch(/signature/)
    expect((await verify(signed)).status).toBe(200)

    const malformed = await verify({ message: 'hello', signature: '0x00' })
    expect(malformed.status).toBe(401)
    const invalidBody = await verify({ message: 'hello', signature: 'zz' } as never)
    expect(invalidBody.status).toBe(400)
  })

  it('logs out: the session stops working at once and the cookie is cleared', async () => {
    const cookie = await signIn(privateKeyToAccount(generatePrivateKey()))
    const out = await app.request('/api/auth/logout', asSession(cookie, { method: 'POST' }))
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/^agora_session=; Max-Age=0; Path=\/api; HttpOnly; SameSite=Strict/)
    const after = await app.request('/api/auth/session', asSession(cookie))
    expect(after.status).toBe(401)
    const api = await app.request('/api/models', asSession(cookie))
    expect(api.status).toBe(401)
    expect((await api.json()).error.code).toBe('invalid_session')
  })

  it('refuses an expired session and a made-up one', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    const id = newSessionId()
    await createSession(test.db, { idHash: hashSessionId(id), accountId: account.id, expiresAt: new Date(Date.now() - 1) })
    for (const cookie of [`agora_session=${id}`, `agora_session=${newSessionId()}`]) {
      const response = await app.request(`/api/accounts/${account.address}`, asSession(cookie))
      expect(response.status).toBe(401)
      expect((await response.json()).error.code).toBe('invalid_session')
    }
  })

  it('judges a request with an Authorization header by it alone, never by its cookie', async () => {
    const wallet = privateKeyToAccount(generatePrivateKey())
    const cookie = await signIn(wallet)
    const response = await app.request(`/api/accounts/${wallet.address}`, { headers: { cookie, authorization: 'Bearer not-the-admin-token' } })
    expect(response.status).toBe(401)
    expect((await response.json()).error.code).toBe('invalid_admin_token')
  })

  it("keeps a session to its own account: every account route of another account, existing or not, is a 403, and the operator's routes are too", async () => {
    const alice = privateKeyToAccount(generatePrivateKey())
    const bob = privateKeyToAccount(generatePrivateKey())
    const aliceCookie = await signIn(alice)
    await signIn(bob)
    const bobAccount = await ensureAccount(test.db, bob.address)
    const { key: bobKey } = await createKey(test.db, { accountId: bobAccount.id, name: 'bob' })

    const paths = Object.entries(openApiDocument().paths as Record<string, Record<string, unknown>>).filter(([path]) => path.startsWith('/api/accounts/{address}'))
    expect(paths.length).toBeGreaterThanOrEqual(10)
    for (const [template, operations] of paths) {
      for (const method of Object.keys(operations)) {
        for (const address of [bob.address, bob.address.toLowerCase(), randomAddress()]) {
          const path = template.replace('{address}', address).replace('{id}', bobKey.id)
          const response = await app.request(path, asSession(aliceCookie, { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: method === 'get' ? null : JSON.stringify({ name: 'stolen' }) }))
          expect(response.status, `${method} ${path}`).toBe(403)
        }
      }
    }
    // Bob's key through Alice's own account path is not Alice's key.
    const viaOwnPath = await app.request(`/api/accounts/${alice.address}/keys/${bobKey.id}`, asSession(aliceCookie, { method: 'DELETE' }))
    expect(viaOwnPath.status).toBe(404)
    expect((await app.request(`/api/accounts/${bob.address}/keys`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200)
    const bobKeys = (await (await app.request(`/api/accounts/${bob.address}/keys`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { data: Array<{ revoked_at: string | null; name: string }> }
    expect(bobKeys.data).toEqual([expect.objectContaining({ name: 'bob', revoked_at: null })])

    const grant = await app.request(`/api/accounts/${alice.address}/credits`, asSession(aliceCookie, { method: 'POST', body: JSON.stringify({ amount_micro_usd: 1_000_000, note: 'free money' }) }))
    expect(grant.status).toBe(403)
    const create = await app.request('/api/accounts', asSession(aliceCookie, { method: 'POST', body: JSON.stringify({ address: randomAddress() }) }))
    expect(create.status).toBe(403)
  })

  it("lets a session manage its own account's keys, usage and settings", async () => {
    const wallet = privateKeyToAccount(generatePrivateKey())
    const cookie = await signIn(wallet)
    const base = `/api/accounts/${wallet.address}`
    const created = await app.request(`${base}/keys`, asSession(cookie, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'laptop', rpm_limit: 60 }) }))
    expect(created.status).toBe(201)
    const { id, secret } = (await created.json()) as { id: string; secret: string }
    expect(secret).toMatch(/^sk-agora-/)
    const listed = (await (await app.request(`${base}/keys`, asSession(cookie))).json()) as { data: Array<{ id: string }> }
    expect(listed.data.map((key) => key.id)).toEqual([id])
    expect((await app.request(`${base}/keys/${id}`, asSession(cookie, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rpm_limit: null }) }))).status).toBe(200)
    expect((await app.request(`${base}/keys/${id}`, asSession(cookie, { method: 'DELETE' }))).status).toBe(200)
    for (const path of ['/usage?group=model', '/generations', '/usage.csv', '/journal', '/settings', '/nodes']) {
      expect((await app.request(`${base}${path}`, asSession(cookie))).status, path).toBe(200)
    }
    expect((await app.request(`${base}/generations?key_id=not-a-key`, asSession(cookie))).status).toBe(400)
    expect((await app.request(`${base}/keys/not-a-key`, asSession(cookie, { method: 'DELETE' }))).status).toBe(404)
    expect((await app.request('/api/models', asSession(cookie))).status).toBe(200)
    const offChain = await app.request('/api/chain', asSession(cookie))
    expect(offChain.status).toBe(404)
    expect((await offChain.json()).error.code).toBe('chain_not_configured')
  })
})
