import { afterAll, beforeAll, describe, it, expect } from 'vitest'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { OFFERS_TOPIC, createPeer, encodeOffer, keepConnected, signPeerBinding, type MarketPeer, type Offer } from '@agora/protocol'
import { startMarketplace, waitFor, type Marketplace } from '../fixtures/marketplace.ts'

/**
 * Offers as the router sees them on gossipsub: a hand-driven libp2p peer publishes good,
 * forged, replayed and expired offers to a real router, which must take only the good ones.
 */
let market: Marketplace
let rogue: MarketPeer
let rogueId: string
const payoutKey = privateKeyToAccount(generatePrivateKey())
let binding: `0x${string}`

beforeAll(async () => {
  market = await startMarketplace({ logLevel: 'error', providers: [] })
  rogue = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  rogueId = rogue.peerId.toString()
  binding = await signPeerBinding({ account: payoutKey, peerId: rogueId })
  rogue.services.pubsub.subscribe(OFFERS_TOPIC)
  await keepConnected(rogue, market.router.multiaddrs)
  const routerId = market.router.peer.peerId.toString()
  await waitFor(() => rogue.services.pubsub.getSubscribers(OFFERS_TOPIC).some((p) => p.toString() === routerId), 'the router to subscribe')
})

afterAll(async () => {
  await rogue?.stop()
  await market?.stop()
})

function offer(overrides: Partial<Offer> = {}): Offer {
  return {
    v: 1,
    peerId: rogueId,
    name: 'rogue',
    payout: payoutKey.address,
    binding,
    seq: 1,
    expiresAt: Date.now() + 60_000,
    models: [{ id: 'rogue/model', contextLength: 4096, pricing: { inputPerMTok: 1n, outputPerMTok: 1n }, maxConcurrency: 4, inFlight: 0 }],
    ...overrides,
  }
}

const publish = (data: Uint8Array) => rogue.services.pubsub.publish(OFFERS_TOPIC, data)
const rejected = () => ({ ...market.router.offers.rejected })
const liveModels = () => market.router.registry.get(rogueId)?.models.map((m) => m.id)

describe('offers on gossipsub', () => {
  it('takes a well-formed, signed, fresh offer', async () => {
    await publish(encodeOffer(offer({ seq: 100 })))
    await waitFor(() => market.router.registry.get(rogueId)?.seq === 100, 'the offer to register')
    expect(liveModels()).toEqual(['rogue/model'])
  })

  const rejections: Array<[string, () => Promise<Offer | Uint8Array>, keyof Marketplace['router']['offers']['rejected']]> = [
    ['a binding signed by another key (forged payout)', async () => offer({ seq: 200, payout: privateKeyToAccount(generatePrivateKey()).address }), 'bad-binding'],
    [
      "another peer's binding replayed",
      async () => offer({ seq: 201, binding: await signPeerBinding({ account: payoutKey, peerId: market.router.peer.peerId.toString() }) }),
      'bad-binding',
    ],
    ['an offer for another peer id', async () => offer({ seq: 202, peerId: market.router.peer.peerId.toString() }), 'peer-mismatch'],
    ['an older seq (replay)', async () => offer({ seq: 99, models: [] }), 'stale'],
    ['the same seq again', async () => offer({ seq: 100, models: [] }), 'stale'],
    ['an expired offer', async () => offer({ seq: 300, expiresAt: Date.now() - 1 }), 'expired'],
    ['an offer claiming a ten-minute lifetime', async () => offer({ seq: 301, expiresAt: Date.now() + 600_000 }), 'ttl-too-long'],
    ['a schema error (negative price)', async () => new TextEncoder().encode(JSON.stringify({ ...offer({ seq: 302 }), models: [{ id: 'x', contextLength: 1, pricing: { inputPerMTok: '-1', outputPerMTok: '1' }, maxConcurrency: 1, inFlight: 0 }] })), 'malformed'],
    ['not JSON at all', async () => new TextEncoder().encode('{nope'), 'malformed'],
  ]
  for (const [what, build, reason] of rejections) {
    it(`ignores ${what}`, async () => {
      const before = rejected()
      const built = await build()
      await publish(built instanceof Uint8Array ? built : encodeOffer(built))
      const againstRogue = market.router.offers.rejectionsOf(rogueId)
      await waitFor(() => market.router.offers.rejected[reason] === before[reason] + 1, `a ${reason} rejection`)
      // Schema, signature and freshness failures count against the sender; a replay is merely ignored.
      if (reason !== 'stale') expect(market.router.offers.rejectionsOf(rogueId)).toBe(againstRogue + 1)
      expect(market.router.registry.get(rogueId)?.seq).toBe(100)
      expect(liveModels()).toEqual(['rogue/model'])
    })
  }

  it('evicts an offer when it expires, and the model leaves /v1/models', async () => {
    await publish(encodeOffer(offer({ seq: 400, expiresAt: Date.now() + 1_500, models: [{ ...offer().models[0]!, id: 'rogue/ephemeral' }] })))
    await waitFor(() => market.router.registry.get(rogueId)?.seq === 400, 'the short-lived offer')
    const listed = async () => {
      const response = await fetch(`${market.baseURL}/models`, { headers: { authorization: `Bearer ${market.apiKey}` } })
      return ((await response.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)
    }
    expect(await listed()).toEqual(['rogue/ephemeral'])
    await waitFor(() => market.router.registry.get(rogueId) === undefined, 'eviction', 5_000)
    expect(await listed()).toEqual([])
    // A known model with no live offer is "unavailable", not "unknown".
    const response = await fetch(`${market.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${market.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'rogue/ephemeral', messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(response.status).toBe(503)
  })
})
