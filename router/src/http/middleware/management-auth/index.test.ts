import { Hono } from 'hono'
import { describe, it, expect, vi } from 'vitest'
import { MarketError } from '@agora/protocol'
import { hashSessionId, newSessionId } from '../../../auth/sessions.ts'
import { ensureAccount } from '../../../db/queries/accounts.ts'
import { createSession } from '../../../db/queries/sessions.ts'
import { randomAddress, testDrivers, useTestDatabase } from '../../../db/testing.ts'
import type { Database } from '../../../db/index.ts'
import { adminOnly, managementAuth } from './index.ts'

vi.setConfig({ hookTimeout: 120_000 })

const TOKEN = 'admin-token-of-the-middleware-test'

function testApp(db: Database, { adminToken }: { adminToken: string | undefined } = { adminToken: TOKEN }) {
  const app = new Hono()
  app.use('*', managementAuth({ db, adminToken }))
  app.get('/whoami', (c) => c.json(c.var.principal.kind === 'admin' ? { kind: 'admin' } : { kind: 'session', address: c.var.principal.session.address }))
  app.post('/operator', adminOnly(), (c) => c.json({ ok: true }))
  app.onError((error, c) => (error instanceof MarketError ? c.json(error.toBody(), error.status as 400) : c.json({ bug: String(error) }, 500)))
  return app
}

async function sessionCookie(db: Database, expiresAt = new Date(Date.now() + 60_000)): Promise<{ cookie: string; address: string }> {
  const account = await ensureAccount(db, randomAddress())
  const id = newSessionId()
  await createSession(db, { idHash: hashSessionId(id), accountId: account.id, expiresAt })
  return { cookie: `agora_session=${id}`, address: account.address }
}

const code = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code

describe.each(await testDrivers())('managementAuth on %s', (driver) => {
  const test = useTestDatabase(driver)

  it('lets the admin token in as the operator, and refuses a wrong or malformed one', async () => {
    const app = testApp(test.db)
    expect(await (await app.request('/whoami', { headers: { authorization: `Bearer ${TOKEN}` } })).json()).toEqual({ kind: 'admin' })
    const wrong = await app.request('/whoami', { headers: { authorization: `Bearer ${TOKEN}x` } })
    expect(wrong.status).toBe(401)
    expect(await code(wrong)).toBe('invalid_admin_token')
    expect((await app.request('/whoami', { headers: { authorization: TOKEN } })).status).toBe(401)
  })

  it('lets a live session in as its account, and refuses an expired or unknown one', async () => {
    const app = testApp(test.db)
    const live = await sessionCookie(test.db)
    expect(await (await app.request('/whoami', { headers: { cookie: live.cookie } })).json()).toEqual({ kind: 'session', address: live.address })
    const expired = await sessionCookie(test.db, new Date(Date.now() - 1))
    for (const cookie of [expired.cookie, `agora_session=${newSessionId()}`]) {
      const response = await app.request('/whoami', { headers: { cookie } })
      expect(response.status).toBe(401)
      expect(await code(response)).toBe('invalid_session')
    }
  })

  it('says what is missing without credentials', async () => {
    const response = await testApp(test.db).request('/whoami')
    expect(response.status).toBe(401)
    expect(await code(response)).toBe('missing_credentials')
  })

  it('without an admin token refuses bearer tokens with a 403 but still takes sessions', async () => {
    const app = testApp(test.db, { adminToken: undefined })
    const bearer = await app.request('/whoami', { headers: { authorization: 'Bearer anything-at-all-here' } })
    expect(bearer.status).toBe(403)
    expect(await code(bearer)).toBe('forbidden')
    const { cookie } = await sessionCookie(test.db)
    expect((await app.request('/whoami', { headers: { cookie } })).status).toBe(200)
  })

  it('adminOnly lets the operator through and gives a session a 403', async () => {
    const app = testApp(test.db)
    expect((await app.request('/operator', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
    const { cookie } = await sessionCookie(test.db)
    const response = await app.request('/operator', { method: 'POST', headers: { cookie } })
    expect(response.status).toBe(403)
    expect(await code(response)).toBe('forbidden')
  })
})
