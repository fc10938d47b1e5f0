import { Hono } from 'hono'
import { describe, it, expect, vi } from 'vitest'
import { MarketError } from '@agora/protocol'
import { ensureAccount } from '../../../db/queries/accounts.ts'
import type { ActiveSession } from '../../../db/queries/sessions.ts'
import { randomAddress, testDrivers, useTestDatabase } from '../../../db/testing.ts'
import type { Database } from '../../../db/index.ts'
import type { ManagementPrincipal } from '../management-auth/index.ts'
import { accountScope } from './index.ts'

vi.setConfig({ hookTimeout: 120_000 })

function testApp(db: Database, principal: ManagementPrincipal) {
  const app = new Hono()
  app.use('*', async (c, next) => {
    c.set('principal', principal)
    await next()
  })
  app.use('/accounts/:address/*', accountScope({ db }))
  app.get('/accounts/:address', (c) => c.json({ id: c.var.account.id }))
  app.get('/accounts/:address/keys', (c) => c.json({ id: c.var.account.id }))
  app.onError((error, c) => (error instanceof MarketError ? c.json(error.toBody(), error.status as 400) : c.json({ bug: String(error) }, 500)))
  return app
}

describe.each(await testDrivers())('accountScope on %s', (driver) => {
  const test = useTestDatabase(driver)

  it("resolves the operator's any account, in any casing, and 404s an unknown one", async () => {
    const account = await ensureAccount(test.db, randomAddress())
    const app = testApp(test.db, { kind: 'admin' })
    for (const path of [`/accounts/${account.address}`, `/accounts/${account.address.toUpperCase().replace('0X', '0x')}/keys`]) {
      expect(await (await app.request(path)).json(), path).toEqual({ id: account.id })
    }
    expect((await app.request(`/accounts/${randomAddress()}/keys`)).status).toBe(404)
  })

  it("gives a session its own account and a 403 for any other address, existing or not", async () => {
    const own = await ensureAccount(test.db, randomAddress())
    const other = await ensureAccount(test.db, randomAddress())
    const session: ActiveSession = { idHash: 'x', accountId: own.id, address: own.address, expiresAt: new Date(Date.now() + 60_000) }
    const app = testApp(test.db, { kind: 'session', session })
    expect(await (await app.request(`/accounts/${own.address}/keys`)).json()).toEqual({ id: own.id })
    for (const address of [other.address, randomAddress()]) {
      for (const path of [`/accounts/${address}`, `/accounts/${address}/keys`]) {
        const response = await app.request(path)
        expect(response.status, path).toBe(403)
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden')
      }
    }
  })
})
