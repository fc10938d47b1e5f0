import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { pino } from 'pino'
import { ProviderConfig, startProviderNode, type ProviderNode } from '@agora/provider-node'
import { RouterConfig, creditsSummary, recomputeBalance, startRouter, type Router } from '@agora/router'
import { createThrowawayDatabase, fundedAccount, testDrivers } from '@agora/router/testing'
import { waitFor } from '../fixtures/marketplace.ts'

/**
 * Router replicas sharing one PostgreSQL ledger: credits stay exact whatever runs
 * concurrently, and a router that crashes leaves holds the others' reaper releases.
 */
const postgresAvailable = (await testDrivers()).includes('postgres')
const log = pino({ level: 'silent' })
const root = resolve(import.meta.dirname, '../..')

describe.runIf(postgresAvailable)('two routers on one PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> }
  const routers: Router[] = []
  let provider: ProviderNode
  let child: ChildProcess | undefined

  beforeAll(async () => {
    database = await createThrowawayDatabase()
    for (let i = 0; i < 2; i++) {
      routers.push(await startRouter(RouterConfig.parse({ port: 0, databaseUrl: database.url, reapIntervalMs: 200, logLevel: 'silent' }), { log }))
    }
    provider = await startProviderNode(
      ProviderConfig.parse({
        name: 'replicated',
        bootstrap: routers.flatMap((r) => r.multiaddrs),
        engine: { kind: 'dev' },
        // Output only, 1 USD per million tokens: every request below holds and costs exactly 8 micro-USD.
        models: [{ id: 'dev/replica', pricing: { inputPerMTok: 0, outputPerMTok: 1_000_000 }, maxConcurrency: 1_000 }],
        logLevel: 'silent',
      }),
      { log },
    )
    await waitFor(() => routers.every((r) => r.registry.get(provider.peerId) !== undefined), 'both routers to see the offer')
  })

  afterAll(async () => {
    child?.kill('SIGKILL')
    await provider?.stop()
    for (const router of routers) await router.stop()
    await database?.drop()
  })

  it('500 concurrent requests against a balance that covers exactly 37: exactly 37 succeed', async () => {
    const covered = 37
    const { account, secret } = await fundedAccount(routers[0]!.database.db, BigInt(covered * 8))
    const results = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const response = await fetch(`${routers[i % 2]!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'dev/replica', messages: [{ role: 'user', content: `request ${i}` }], max_tokens: 8 }),
        })
        const body = (await response.json()) as { usage?: { completion_tokens: number; cost: number } }
        return { status: response.status, body }
      }),
    )
    const statuses = results.reduce<Record<number, number>>((counts, r) => ({ ...counts, [r.status]: (counts[r.status] ?? 0) + 1 }), {})
    expect(statuses).toEqual({ 200: covered, 402: 500 - covered })
    for (const r of results.filter((r) => r.status === 200)) expect(r.body.usage).toMatchObject({ completion_tokens: 8, cost: 0.000008 })

    const db = routers[1]!.database.db
    const summary = (await creditsSummary(db, account.id))!
    expect(summary).toMatchObject({ balance: 0n, used: BigInt(covered * 8), held: 0n, deposited: BigInt(covered * 8) })
    expect(await recomputeBalance(db, account.id)).toBe(0n)
    const generations = await db.query.generations.findMany({ where: (g, { eq }) => eq(g.accountId, account.id) })
    expect(generations).toHaveLength(covered)
  })

  it("a router killed with requests in flight: its holds are released by another router's reaper, nothing is charged", async () => {
    const { account, secret } = await fundedAccount(routers[0]!.database.db, 1_000_000n)
    // One process (node with tsx's loader, not the tsx CLI, which would put the router in a grandchild that SIGKILL misses).
    child = spawn(process.execPath, ['--import', 'tsx', 'router/src/main.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: database.url, ROUTER_PORT: '0', ROUTER_REQUEST_TIMEOUT_MS: '1000', ROUTER_HOLD_GRACE_MS: '500', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const started = await new Promise<{ url: string; multiaddrs: string[] }>((done, fail) => {
      child!.once('exit', (code) => fail(new Error(`router exited with ${code}`)))
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        if (line.includes('router started')) done(JSON.parse(line))
      })
    })
    const slow = await startProviderNode(
      ProviderConfig.parse({ name: 'slow', bootstrap: started.multiaddrs, engine: { kind: 'dev', ttftMs: 30_000 }, models: [{ id: 'dev/stuck' }], logLevel: 'silent' }),
      { log },
    )
    try {
      await new Promise((r) => setTimeout(r, 500))
      const pending = Array.from({ length: 3 }, () =>
        fetch(`${started.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'dev/stuck', messages: [{ role: 'user', content: 'hi' }] }),
        }).catch(() => undefined),
      )
      const db = routers[0]!.database.db
      await waitFor(async () => (await creditsSummary(db, account.id))!.held > 0n && slow.stats.requests === 3, 'three holds in flight', 10_000)
      child.kill('SIGKILL')
      await Promise.all(pending)
      await waitFor(async () => (await creditsSummary(db, account.id))!.held === 0n, 'the reaper to release the holds', 10_000)
      expect(await creditsSummary(db, account.id)).toMatchObject({ balance: 1_000_000n, used: 0n, held: 0n })
      expect(await recomputeBalance(db, account.id)).toBe(1_000_000n)
      expect(await db.query.generations.findMany({ where: (g, { eq }) => eq(g.accountId, account.id) })).toEqual([])
    } finally {
      await slow.stop()
    }
  })
})
