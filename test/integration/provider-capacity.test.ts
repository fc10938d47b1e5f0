import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { loadProviderConfig, startProviderNode, type ProviderNode } from '@agora/provider-node'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'
import { post, readEvents } from '../fixtures/provider.ts'

/**
 * Capacity over real libp2p with two routers sharing one provider: the node runs
 * `maxConcurrency` requests, queues `maxQueue` more, and answers the next one busy at once;
 * the router that hears "busy" sends the request to another provider, and the client never
 * sees it. The offer announces the load as it changes.
 */
let first: Marketplace
let second: Marketplace
let tight: ProviderNode

beforeAll(async () => {
  ;[first, second] = await Promise.all([
    startMarketplace({ logLevel: 'error', providers: [{ name: 'spare', engine: { kind: 'dev' }, models: [{ id: 'dev/cap', pricing: { inputPerMTok: 900_000, outputPerMTok: 900_000 } }] }] }),
    startMarketplace({ logLevel: 'error', providers: [] }),
  ])
  tight = await startProviderNode(
    loadProviderConfig({
      name: 'tight',
      bootstrap: [...first.router.multiaddrs, ...second.router.multiaddrs],
      engine: { kind: 'dev', tokensPerSecond: 8 },
      models: [{ id: 'dev/cap', pricing: { inputPerMTok: 1, outputPerMTok: 1 }, maxConcurrency: 1, maxQueue: 1 }],
      queueTimeoutMs: 120_000,
      logLevel: 'error',
    }),
  )
  await waitFor(() => first.router.registry.get(tight.peerId) !== undefined && second.router.registry.get(tight.peerId) !== undefined, 'both routers to hear the offer', 60_000)
}, 240_000)

afterAll(async () => {
  await tight?.stop()
  await Promise.all([first?.stop(), second?.stop()])
})

const offered = (market: Marketplace) => market.router.registry.get(tight.peerId)?.models[0]

describe('capacity', () => {
  it('offers maxConcurrency + maxQueue and re-announces the load as it changes', () => {
    expect(offered(first)).toMatchObject({ maxConcurrency: 2, inFlight: 0 })
  })

  it('concurrency + queue + 1 requests: the last is answered busy and the router serves it from another provider', async () => {
    // Through the second router, one request runs on `tight` and one waits in its queue.
    const long = { model: 'dev/cap', stream: true, messages: [{ role: 'user', content: 'a long story, please' }] }
    const running = post(second, '/chat/completions', long).then((response) => readEvents(response))
    await waitFor(() => tight.status().capacity[0]?.running === 1, 'the first request to run')
    const queued = post(second, '/chat/completions', long).then((response) => readEvents(response))
    await waitFor(() => tight.status().capacity[0]?.queued === 1, 'the second request to queue')
    // The first router hears the load from the re-announced offer.
    await waitFor(() => offered(first)?.inFlight === 2, 'the offer to announce a full node')

    // The first router's own count says `tight` is idle, and the client asks for it first.
    const response = await post(first, '/chat/completions', { model: 'dev/cap', provider: { order: ['tight'] }, messages: [{ role: 'user', content: 'hi' }] })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { provider: string }).provider).toBe('spare')
    expect(tight.stats.busy).toBe(1)

    // The queued request is served once the running one ends; both complete.
    for (const events of await Promise.all([running, queued])) expect(events.at(-1)).toBe('[DONE]')
    expect(tight.stats.succeeded).toBe(2)
    await waitFor(() => offered(first)?.inFlight === 0 && offered(second)?.inFlight === 0, 'the offer to announce an idle node')
  }, 120_000)

  it('a busy answer does not count against the success rate the router measures', () => {
    const stats = first.router.routing.measurements.snapshot(tight.peerId, 'dev/cap')
    expect(stats).toMatchObject({ samples: 0, successRate: undefined })
  })
})
